import type { Messages } from "@/lib/messages";
import type { ServicesContent } from "@/lib/content/services";

/** Where and when the in-person services are done. */
export function CentreCard({ centre, t }: { centre: ServicesContent["centre"]; t: Messages["services"]["content"] }) {
  return (
    <section className="card" aria-labelledby="centre-title">
      <h2 id="centre-title">{t.where}</h2>
      <dl className="kv">
        <dt>{t.where}</dt>
        <dd>{centre.name}</dd>
        <dt>{t.address}</dt>
        <dd>{centre.address}</dd>
        <dt>{t.hours}</dt>
        <dd>{centre.hours}</dd>
        <dt>{t.hotline}</dt>
        <dd>
          <a href={`tel:${centre.hotline}`}>{centre.hotline}</a>
        </dd>
      </dl>
    </section>
  );
}
