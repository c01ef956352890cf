import pg from "pg";

/** Called with a notification's payload (PostgreSQL's NOTIFY, delivered once the sending transaction commits). */
export type Listener = (payload: string) => void;
export type Unlisten = () => void;
/** Told when the listening connection is lost or cannot be opened (the caller logs it; lib/db has no logger). */
export type ListenTrouble = (err: unknown, what: string) => void;

/** Channel names are the portal's own constants; anything else is refused rather than quoted. */
export function checkChannel(channel: string): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  return channel;
}

const RECONNECT_MS = { first: 500, max: 15_000 };

/**
 * LISTEN on PostgreSQL for one process: one dedicated connection (outside the pool: a pooled connection cannot
 * hold a LISTEN), opened at the first `listen` and reopened after a loss with a growing delay. Notifications sent
 * while it is down are lost; its users treat a notification as a hint to read again, never as the only signal.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly channels = new Map<string, Set<Listener>>();
  private delay = RECONNECT_MS.first;
  private closed = false;
  private trouble: ListenTrouble = () => {};

  constructor(private readonly url: string) {}

  async listen(channel: string, fn: Listener, trouble?: ListenTrouble): Promise<Unlisten> {
    checkChannel(channel);
    if (trouble) this.trouble = trouble;
    let set = this.channels.get(channel);
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
      if (this.client) await this.client.query(`LISTEN ${channel}`);
    }
    set.add(fn);
    if (!this.client) await this.connect();
    return () => set.delete(fn);
  }

  private connect(): Promise<void> {
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, application_name: "certrenew-listen" });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.removeAllListeners("notification");
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.trouble(err, "database notifications: connection lost, reconnecting");
      this.retryLater();
    };
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", (n) => {
      for (const fn of this.channels.get(n.channel) ?? []) fn(n.payload ?? "");
    });
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      void client.end().catch(() => undefined);
      this.trouble(err, "database notifications: cannot listen, retrying");
      this.retryLater();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.delay = RECONNECT_MS.first;
  }

  private retryLater(): void {
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, RECONNECT_MS.max);
    setTimeout(() => void this.connect(), wait).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
