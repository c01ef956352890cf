import { parseArgs } from "node:util";
import { createInterface } from "node:readline";
import { closeDb, getDb } from "../lib/db";
import { systemClock } from "../lib/clock";
import { isDomainError, errorMessage } from "../lib/errors";
import { ROLES } from "../lib/staff/permissions";
import { createStaffUser } from "../lib/staff/users";
import { PASSWORD_MIN_LENGTH } from "../lib/staff/passwords";

/**
 * `npm run staff:create -- --role admin --username NAME [--display-name "…"] [--password-stdin]`
 * Creates a staff account (the first admin of a new installation). The password is asked for twice without echo,
 * or read from the first line of standard input with --password-stdin (for provisioning scripts).
 */

const USAGE = `usage: npm run staff:create -- --role ${ROLES.join("|")} --username NAME [--display-name TEXT] [--password-stdin]`;

function readLine(): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    let done = false;
    rl.once("line", (line) => {
      done = true;
      rl.close();
      resolve(line);
    });
    rl.once("close", () => {
      if (!done) resolve("");
    });
  });
}

/** Reads a line from the terminal without echoing it. */
function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stdout.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    let value = "";
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          process.stdout.write("\n");
          return resolve(value);
        }
        if (ch === "\u0003") {
          stdin.setRawMode(false);
          process.stdout.write("\n");
          process.exit(130);
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: "string" },
        username: { type: "string" },
        "display-name": { type: "string" },
        "password-stdin": { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const role = ROLES.find((r) => r === values.role);
  if (!role || !values.username) {
    console.error(USAGE);
    return 2;
  }
  let password: string;
  if (values["password-stdin"]) {
    password = (await readLine()).replace(/\r$/, "");
  } else if (!process.stdin.isTTY) {
    console.error("No terminal to ask for the password: pass it on standard input with --password-stdin.");
    return 2;
  } else {
    password = await askHidden(`Password for ${values.username} (at least ${PASSWORD_MIN_LENGTH} characters): `);
    if ((await askHidden("Repeat the password: ")) !== password) {
      console.error("The passwords differ; nothing was created.");
      return 1;
    }
  }
  try {
    const user = await createStaffUser(
      await getDb(),
      { username: values.username, password, role, displayName: values["display-name"] },
      { type: "system", id: "staff:create" },
      systemClock,
    );
    console.log(`Created ${user.role} account "${user.username}". Sign in at /staff/login.`);
    return 0;
  } catch (e) {
    if (isDomainError(e)) {
      console.error(errorMessage(e.code, "en", e.details));
      return 1;
    }
    console.error(
      `Cannot create the account (is the database reachable and migrated? \`npm start\` applies the migrations): ${e instanceof Error ? (e.message.split("\n").find((l) => l.trim()) ?? e.name) : String(e)}`,
    );
    return 1;
  } finally {
    await closeDb();
  }
}

process.exit(await main());
