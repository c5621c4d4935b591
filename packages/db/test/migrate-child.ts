// Run by migrate.test.ts in separate processes: `tsx test/migrate-child.ts <url>`.
import { migrate } from "../src/migrate";

const r = await migrate(process.argv[2]);
console.log(JSON.stringify(r.applied));
