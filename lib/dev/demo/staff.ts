import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Db } from "../../db";
import type { Clock } from "../../clock";
import type { StaffRole } from "../../generated/prisma/client";
import type { Actor } from "../../audit";
import { generatePassword, passwordProblem } from "../../staff/passwords";
import { changeStaffUser, createStaffUser } from "../../staff/users";
import { ROLES } from "../../staff/permissions";

export interface DemoStaff {
  username: string;
  password: string;
  role: StaffRole;
}

const SEED_ACTOR: Actor = { type: "system", id: "seed" };

function passwordFor(username: string): string {
  for (;;) {
    const p = generatePassword();
    if (!passwordProblem(p, username)) return p;
  }
}

/**
 * One demo account per role (usernames = role names) for `npm start` in demo mode. The generated passwords are
 * kept in DATA_DIR/demo-staff.json (mode 600) so they stay the same across starts; an account whose password
 * is not in the file (the file was deleted) gets a new one.
 */
export async function ensureDemoStaff(db: Db, clock: Clock, dataDir: string): Promise<DemoStaff[]> {
  const file = path.join(dataDir, "demo-staff.json");
  const known: DemoStaff[] = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as DemoStaff[]) : [];
  const out: DemoStaff[] = [];
  for (const role of ROLES) {
    const username = role;
    const remembered = known.find((k) => k.username === username);
    const existing = await db.staffUser.findUnique({ where: { username } });
    if (existing && remembered) {
      out.push({ username, role: existing.role, password: remembered.password });
      continue;
    }
    const password = remembered?.password ?? passwordFor(username);
    if (existing) await changeStaffUser(db, existing.id, { kind: "password", password }, SEED_ACTOR, clock);
    else await createStaffUser(db, { username, password, role, displayName: `Demo ${role}` }, SEED_ACTOR, clock);
    out.push({ username, role, password });
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`, { mode: 0o600 });
  return out;
}
