import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { getDMMF } from '@prisma/internals';
import { Client } from 'pg';
import { migrate, MIGRATIONS_DIR } from '../src/migrate';

// Integration tier: real PostgreSQL, a database of this file's own, created from nothing.
const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const name = `stratus_migrations_${randomBytes(6).toString('hex')}`;
const url = Object.assign(new URL(SERVER), { pathname: `/${name}` }).toString();
let db: Client;

const PRISMA_TO_PG: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp with time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

beforeAll(async () => {
  await migrate(url);
  db = new Client({ connectionString: url });
  await db.connect();
});

afterAll(async () => {
  await db.end();
  const admin = new Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
});

describe('migrate', () => {
  it('creates the database and applies every migration once, recorded as Prisma Migrate records them', async () => {
    const files = readdirSync(MIGRATIONS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const { rows } = await db.query('SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(files);
    for (const row of rows) {
      const sql = readFileSync(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'), 'utf8');
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
    }
    const again = await migrate(url);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(files);
  });

  it('refuses a migration that was edited after it was applied', async () => {
    await db.query(`UPDATE "_prisma_migrations" SET checksum = 'x' WHERE migration_name = (SELECT min(migration_name) FROM "_prisma_migrations")`);
    await expect(migrate(url)).rejects.toThrow(/checksum mismatch/);
    const first = readdirSync(MIGRATIONS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()[0]!;
    const sql = readFileSync(path.join(MIGRATIONS_DIR, first, 'migration.sql'), 'utf8');
    await db.query(`UPDATE "_prisma_migrations" SET checksum = $1 WHERE migration_name = $2`, [createHash('sha256').update(sql).digest('hex'), first]);
  });
});

describe('schema.prisma and the migrated database', () => {
  let dmmf: Awaited<ReturnType<typeof getDMMF>>;
  beforeAll(async () => {
    dmmf = await getDMMF({ datamodel: readFileSync(path.join(__dirname, '..', 'prisma', 'schema.prisma'), 'utf8') });
  });

  const tableOf = (model: string) => {
    const m = dmmf.datamodel.models.find((x) => x.name === model)!;
    return m.dbName ?? m.name;
  };

  it('have the same tables', async () => {
    const { rows } = await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
    expect(rows.map((r) => r.table_name).sort()).toEqual(dmmf.datamodel.models.map((m) => m.dbName ?? m.name).sort());
  });

  it('have the same columns, types, nullability and defaults', async () => {
    for (const model of dmmf.datamodel.models) {
      const table = model.dbName ?? model.name;
      const { rows } = await db.query(
        `SELECT column_name, data_type, udt_name, is_nullable, column_default, datetime_precision FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
        [table],
      );
      const columns = new Map(rows.map((r) => [r.column_name, r]));
      const fields = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
      expect([...columns.keys()].sort()).toEqual(fields.map((f) => f.dbName ?? f.name).sort());
      for (const field of fields) {
        const column = columns.get(field.dbName ?? field.name);
        const where = `${table}.${field.dbName ?? field.name}`;
        if (field.isList) {
          expect([where, column.data_type, column.udt_name]).toEqual([where, 'ARRAY', `_${PRISMA_TO_PG[field.type] === 'text' ? 'text' : field.type.toLowerCase()}`]);
        } else if (field.kind === 'enum') {
          const enumDb = dmmf.datamodel.enums.find((e) => e.name === field.type)!;
          expect([where, column.data_type, column.udt_name]).toEqual([where, 'USER-DEFINED', enumDb.dbName ?? enumDb.name]);
        } else {
          expect([where, column.data_type]).toEqual([where, PRISMA_TO_PG[field.type]]);
        }
        // Prisma keeps list columns nullable and enforces required lists itself.
        const nullable = field.isList || !field.isRequired;
        expect([where, column.is_nullable]).toEqual([where, nullable ? 'YES' : 'NO']);
        expect([where, column.column_default !== null]).toEqual([where, field.hasDefaultValue]);
        if (field.type === 'DateTime') {
          const precision = Number((field.nativeType?.[1] as string[] | undefined)?.[0] ?? 3);
          expect([where, column.datetime_precision]).toEqual([where, precision]);
        }
      }
    }
  });

  it('have the same enums', async () => {
    for (const e of dmmf.datamodel.enums) {
      const { rows } = await db.query(
        `SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`,
        [e.dbName ?? e.name],
      );
      expect(rows.map((r) => r.enumlabel)).toEqual(e.values.map((v) => v.dbName ?? v.name));
    }
  });

  it('have the same primary keys, unique and plain indexes', async () => {
    const { rows } = await db.query(`
      SELECT t.relname AS table, ix.indisunique AS unique, ix.indisprimary AS primary,
             array_agg(a.attname::text ORDER BY k.ord) AS columns
      FROM pg_index ix
      JOIN pg_class t ON t.oid = ix.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
      CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      WHERE t.relname <> '_prisma_migrations'
      GROUP BY t.relname, ix.indexrelid, ix.indisunique, ix.indisprimary`);
    const actual = rows.map((r) => `${r.table}(${r.columns.join(',')}) ${r.primary ? 'id' : r.unique ? 'unique' : 'normal'}`).sort();
    const expected = dmmf.datamodel.indexes
      .map((ix) => {
        const model = dmmf.datamodel.models.find((m) => m.name === ix.model)!;
        const cols = ix.fields.map((f) => {
          const field = model.fields.find((x) => x.name === f.name)!;
          return field.dbName ?? field.name;
        });
        return `${tableOf(ix.model)}(${cols.join(',')}) ${ix.type === 'id' ? 'id' : ix.type === 'unique' ? 'unique' : 'normal'}`;
      })
      .sort();
    expect(actual).toEqual(expected);
  });

  it('have the same foreign keys and delete rules', async () => {
    const { rows } = await db.query(`
      SELECT c.conrelid::regclass::text AS table, c.confrelid::regclass::text AS references, c.confdeltype AS on_delete,
             (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(n, ord) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS columns
      FROM pg_constraint c WHERE c.contype = 'f'`);
    const deleteRule: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };
    const actual = rows.map((r) => `${r.table}(${r.columns.join(',')}) -> ${r.references} ${deleteRule[r.on_delete]}`).sort();
    const expected = dmmf.datamodel.models
      .flatMap((model) =>
        model.fields
          .filter((f) => f.kind === 'object' && f.relationFromFields && f.relationFromFields.length > 0)
          .map((f) => {
            const cols = f.relationFromFields!.map((name) => {
              const field = model.fields.find((x) => x.name === name)!;
              return field.dbName ?? field.name;
            });
            // Prisma's default for a required relation is Restrict.
            const onDelete = (f.relationOnDelete as string | undefined) ?? 'Restrict';
            return `${model.dbName ?? model.name}(${cols.join(',')}) -> ${tableOf(f.type)} ${onDelete}`;
          }),
      )
      .sort();
    expect(actual).toEqual(expected);
  });
});
