import Link from "@/components/Link";
import { getT } from "@/app/_lib/i18n";
import { roleMayUse } from "@/lib/staff/permissions";
import { SECTIONS } from "../_lib/nav";
import { requireStaff } from "../_lib/guard";

export default async function StaffHome({ searchParams }: { searchParams: Promise<{ forbidden?: string }> }) {
  const staff = await requireStaff("/staff");
  const { t } = await getT();
  const s = t.staff;
  const { forbidden } = await searchParams;
  return (
    <>
      <h1>{s.console}</h1>
      {forbidden && (
        <p className="alert alert-warn" role="alert">
          {s.forbidden}
        </p>
      )}
      <p className="muted">{s.welcome}</p>
      <div className="tiles">
        {SECTIONS.filter((p) => roleMayUse(staff.user.role, p.path)).map((p) => (
          <Link key={p.path} href={p.path} className="tile">
            <span className="tile-title">{s.nav[p.key]}</span>
          </Link>
        ))}
      </div>
    </>
  );
}
