import { migrate } from './migrate';

const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/stratus';

migrate(url).then(
  (result) => {
    for (const name of result.applied) console.log(`applied ${name}`);
    console.log(`${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already applied`);
  },
  (error: Error) => {
    console.error(`migration failed on ${url.replace(/\/\/[^@]*@/, '//***@')}: ${error.message}`);
    process.exit(1);
  },
);
