/**
 * Adoption of a business's existing `invoice` and `customer` tables (docs/adoption.md).
 *
 * Reads information_schema and computes the DDL that brings the database to the schema of the
 * baseline migrations (001, 002): side tables are created (their invoice id column typed like
 * invoice.id), missing columns are added (all nullable or defaulted, appended, ALGORITHM=INSTANT
 * where the server can), missing indexes are built online (ALGORITHM=INPLACE, LOCK=NONE), and a
 * status ENUM lacking the service's states is extended by appending them. Existing columns are
 * never retyped or dropped. A table whose columns cannot work is refused with a message naming
 * what is missing or wrong. The plan is a pure function of the catalogue: on an adopted (or
 * freshly migrated) database it is empty, so re-running is a no-op.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';

/** The invoice states the service reads and writes (src/billing/invoice-state.ts), in the order an ENUM gets them. */
export const SERVICE_STATES = ['pending', 'processing', 'paid', 'requires_auth', 'failed'] as const;
const LONGEST_STATE = Math.max(...SERVICE_STATES.map((s) => s.length));

export interface ServerInfo {
  flavor: 'mariadb' | 'mysql';
  version: [number, number, number];
  versionString: string;
}

export interface AdoptionPlan {
  server: ServerInfo;
  /** Exact statements, in order; empty when the schema is already complete. */
  statements: string[];
  /** Things a DBA should know that do not block adoption. */
  warnings: string[];
}

/** Raised when a table cannot be adopted; the message says what is missing or wrong. */
export class AdoptionRefused extends Error {
  constructor(readonly problems: string[]) {
    super(`cannot adopt the existing tables:\n  - ${problems.join('\n  - ')}`);
    this.name = 'AdoptionRefused';
  }
}

interface ColumnInfo {
  name: string;
  dataType: string;
  columnType: string;
  nullable: boolean;
  defaultValue: string | null;
  maxLength: number | null;
  charset: string | null;
  collation: string | null;
  comment: string;
  extra: string;
}

interface TableInfo {
  name: string;
  rowFormat: string;
  columns: Map<string, ColumnInfo>;
  /** Index name → its columns in order. */
  indexes: Map<string, { columns: string[]; unique: boolean; type: string }>;
  primaryKey: string[];
}

type Family = 'integer' | 'string' | 'temporal' | 'datetime';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);
const STRING_TYPES = new Set(['varchar', 'char', 'text', 'tinytext', 'mediumtext', 'longtext']);
const TEMPORAL_TYPES = new Set(['date', 'datetime', 'timestamp']);

function inFamily(c: ColumnInfo, family: Family): boolean {
  switch (family) {
    case 'integer': return INTEGER_TYPES.has(c.dataType);
    case 'string': return STRING_TYPES.has(c.dataType);
    case 'temporal': return TEMPORAL_TYPES.has(c.dataType);
    case 'datetime': return c.dataType === 'datetime' || c.dataType === 'timestamp';
  }
}

/** A column the service adds when it is missing; an existing column of that name must be of `family`. */
interface AddedColumn {
  name: string;
  definition: string;
  family: Family;
  /** Minimum string length the service writes, for string columns. */
  minLength?: number;
}

const TS3 = 'DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)';
const TIMESTAMPS: AddedColumn[] = [
  { name: 'created_at', definition: TS3, family: 'datetime' },
  { name: 'updated_at', definition: `${TS3} ON UPDATE CURRENT_TIMESTAMP(3)`, family: 'datetime' },
];

/** The service's columns on invoice, in the fresh schema's order (001 then 002). */
const INVOICE_ADDED: AddedColumn[] = [
  { name: 'paid_at', definition: 'DATETIME(3) NULL', family: 'temporal' },
  { name: 'stripe_payment_intent_id', definition: 'VARCHAR(255) NULL', family: 'string', minLength: 255 },
  { name: 'currency', definition: "VARCHAR(16) NOT NULL DEFAULT 'usd'", family: 'string', minLength: 3 },
  { name: 'attempt_count', definition: 'INT UNSIGNED NOT NULL DEFAULT 0', family: 'integer' },
  { name: 'failure_code', definition: 'VARCHAR(64) NULL', family: 'string', minLength: 64 },
  { name: 'decline_code', definition: 'VARCHAR(64) NULL', family: 'string', minLength: 64 },
  { name: 'failure_message', definition: 'VARCHAR(1024) NULL', family: 'string', minLength: 1000 },
  { name: 'claim_run_id', definition: 'VARCHAR(255) NULL', family: 'string', minLength: 255 },
  { name: 'claimed_at', definition: 'DATETIME(3) NULL', family: 'datetime' },
  { name: 'lease_expires_at', definition: 'DATETIME(3) NULL', family: 'datetime' },
  { name: 'next_attempt_at', definition: 'DATETIME(3) NULL', family: 'datetime' },
  { name: 'first_failed_at', definition: 'DATETIME(3) NULL', family: 'datetime' },
  { name: 'failed_payment_method_id', definition: 'VARCHAR(255) NULL', family: 'string', minLength: 255 },
  { name: 'dunning_stopped_reason', definition: 'VARCHAR(64) NULL', family: 'string', minLength: 64 },
  { name: 'auth_expires_at', definition: 'DATETIME(3) NULL', family: 'datetime' },
  ...TIMESTAMPS,
];

interface IndexSpec {
  name: string;
  columns: string[];
}

const INVOICE_INDEXES: IndexSpec[] = [
  { name: 'idx_invoice_status_due_id', columns: ['status', 'due_date', 'id'] },
  { name: 'idx_invoice_status_lease', columns: ['status', 'lease_expires_at'] },
  { name: 'idx_invoice_customer', columns: ['customer_id'] },
  { name: 'idx_invoice_status_next_attempt', columns: ['status', 'next_attempt_at', 'id'] },
  { name: 'idx_invoice_payment_intent', columns: ['stripe_payment_intent_id'] },
];

/** The side tables, as the baseline migrations leave them; `ID` is replaced by invoice.id's type. */
function sideTables(invoiceIdType: string): Record<string, string> {
  return {
    payment_attempt: `CREATE TABLE payment_attempt (
  id                        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  invoice_id                ${invoiceIdType} NOT NULL,
  attempt_number            INT UNSIGNED NOT NULL,
  is_retry                  TINYINT(1) NOT NULL DEFAULT 0,
  idempotency_key           VARCHAR(255) NULL,
  stripe_customer_id        VARCHAR(255) NULL,
  stripe_payment_method_id  VARCHAR(255) NULL,
  stripe_payment_intent_id  VARCHAR(255) NULL,
  outcome                   VARCHAR(32) NOT NULL,
  failure_code              VARCHAR(64) NULL,
  decline_code              VARCHAR(64) NULL,
  failure_message           VARCHAR(1024) NULL,
  amount_cents              BIGINT NULL,
  currency                  VARCHAR(16) NULL,
  run_id                    VARCHAR(255) NOT NULL,
  started_at                DATETIME(3) NOT NULL,
  finished_at               DATETIME(3) NULL,
  in_flight_invoice_id      ${invoiceIdType} AS (IF(outcome = 'in_flight', invoice_id, NULL)) STORED,
  UNIQUE KEY uq_attempt_invoice_number (invoice_id, attempt_number),
  UNIQUE KEY uq_attempt_idempotency_key (idempotency_key),
  UNIQUE KEY uq_attempt_in_flight (in_flight_invoice_id),
  KEY idx_attempt_outcome (outcome),
  KEY idx_attempt_run (run_id),
  KEY idx_attempt_payment_method_started (stripe_payment_method_id, started_at),
  KEY idx_attempt_payment_intent (stripe_payment_intent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    stripe_event: `CREATE TABLE stripe_event (
  id                 VARCHAR(255) NOT NULL PRIMARY KEY,
  type               VARCHAR(128) NOT NULL,
  payment_intent_id  VARCHAR(255) NULL,
  payload            MEDIUMTEXT NOT NULL,
  received_at        DATETIME(3) NOT NULL,
  processed_at       DATETIME(3) NULL,
  result             VARCHAR(255) NULL,
  KEY idx_stripe_event_payment_intent (payment_intent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  };
}

const SIDE_TABLE_COLUMNS: Record<string, string[]> = {
  payment_attempt: [
    'id', 'invoice_id', 'attempt_number', 'is_retry', 'idempotency_key', 'stripe_customer_id', 'stripe_payment_method_id',
    'stripe_payment_intent_id', 'outcome', 'failure_code', 'decline_code', 'failure_message', 'amount_cents', 'currency',
    'run_id', 'started_at', 'finished_at', 'in_flight_invoice_id',
  ],
  stripe_event: ['id', 'type', 'payment_intent_id', 'payload', 'received_at', 'processed_at', 'result'],
};

export async function inspectServer(conn: Connection): Promise<ServerInfo> {
  const [[row]] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS v');
  const versionString = String(row?.v ?? '');
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(versionString);
  const version: [number, number, number] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  return { flavor: /mariadb/i.test(versionString) ? 'mariadb' : 'mysql', version, versionString };
}

/** MariaDB 10.6+ (tested) and MySQL 8.0+ (by syntax); older servers lack instant ADD COLUMN and STORED syntax guarantees. */
export function checkServerSupported(server: ServerInfo): void {
  const [major, minor] = server.version;
  const ok = server.flavor === 'mariadb' ? major > 10 || (major === 10 && minor >= 6) : major >= 8;
  if (!ok) {
    throw new Error(`unsupported server ${server.versionString}: the migrations need MariaDB 10.6+ or MySQL 8.0+`);
  }
}

async function readTables(conn: Connection, names: string[]): Promise<Map<string, TableInfo>> {
  const [tables] = await conn.query<RowDataPacket[]>(
    `SELECT table_name AS name, row_format AS rowFormat FROM information_schema.tables
      WHERE table_schema = DATABASE() AND table_name IN (?)`,
    [names],
  );
  const result = new Map<string, TableInfo>();
  for (const t of tables) {
    result.set(String(t.name), { name: String(t.name), rowFormat: String(t.rowFormat ?? ''), columns: new Map(), indexes: new Map(), primaryKey: [] });
  }
  if (result.size === 0) return result;
  const [columns] = await conn.query<RowDataPacket[]>(
    `SELECT table_name AS tableName, column_name AS name, data_type AS dataType, column_type AS columnType,
            is_nullable AS nullable, column_default AS defaultValue, character_maximum_length AS maxLength,
            character_set_name AS charset, collation_name AS collation, column_comment AS comment, extra
       FROM information_schema.columns
      WHERE table_schema = DATABASE() AND table_name IN (?)
      ORDER BY ordinal_position`,
    [[...result.keys()]],
  );
  for (const c of columns) {
    result.get(String(c.tableName))?.columns.set(String(c.name).toLowerCase(), {
      name: String(c.name),
      dataType: String(c.dataType).toLowerCase(),
      columnType: String(c.columnType),
      nullable: c.nullable === 'YES',
      defaultValue: c.defaultValue === null || c.defaultValue === undefined ? null : String(c.defaultValue),
      maxLength: c.maxLength === null || c.maxLength === undefined ? null : Number(c.maxLength),
      charset: c.charset ? String(c.charset) : null,
      collation: c.collation ? String(c.collation) : null,
      comment: String(c.comment ?? ''),
      extra: String(c.extra ?? ''),
    });
  }
  const [stats] = await conn.query<RowDataPacket[]>(
    `SELECT table_name AS tableName, index_name AS name, column_name AS columnName, non_unique AS nonUnique, index_type AS type
       FROM information_schema.statistics
      WHERE table_schema = DATABASE() AND table_name IN (?)
      ORDER BY table_name, index_name, seq_in_index`,
    [[...result.keys()]],
  );
  for (const s of stats) {
    const table = result.get(String(s.tableName));
    if (!table) continue;
    const name = String(s.name);
    const index = table.indexes.get(name) ?? { columns: [], unique: Number(s.nonUnique) === 0, type: String(s.type) };
    index.columns.push(String(s.columnName).toLowerCase());
    table.indexes.set(name, index);
    if (name === 'PRIMARY') table.primaryKey = index.columns;
  }
  return result;
}

/** `INT`, `BIGINT UNSIGNED`, …: the type a column referencing `c` gets. */
function integerTypeOf(c: ColumnInfo): string {
  return `${c.dataType.toUpperCase()}${/unsigned/i.test(c.columnType) ? ' UNSIGNED' : ''}`;
}

/** Whether some index on the table starts with exactly these columns (InnoDB appends the primary key). */
function hasIndexOn(table: TableInfo, columns: string[]): boolean {
  for (const index of table.indexes.values()) {
    if (index.type !== 'BTREE') continue;
    const withPk = [...index.columns, ...table.primaryKey.filter((c) => !index.columns.includes(c))];
    if (columns.every((c, i) => withPk[i] === c)) return true;
  }
  return false;
}

function enumMembers(columnType: string): string[] {
  const body = /^enum\((.*)\)$/i.exec(columnType)?.[1] ?? '';
  return [...body.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replace(/''/g, "'"));
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

function isCaseInsensitive(c: ColumnInfo): boolean {
  return c.collation !== null && /_ci$/i.test(c.collation);
}

/** The online clause for adding columns to this table on this server. */
function addColumnAlgorithm(table: TableInfo): string {
  const fulltext = [...table.indexes.values()].some((i) => i.type === 'FULLTEXT');
  // Both servers add columns instantly except to compressed tables (and, on MySQL, tables with a
  // FULLTEXT index); there the table is rebuilt online instead.
  if (/compressed/i.test(table.rowFormat) || fulltext) return 'ALGORITHM=INPLACE, LOCK=NONE';
  return 'ALGORITHM=INSTANT';
}

function checkAddedColumns(table: TableInfo, added: AddedColumn[], problems: string[]): AddedColumn[] {
  const missing: AddedColumn[] = [];
  for (const col of added) {
    const existing = table.columns.get(col.name);
    if (!existing) {
      missing.push(col);
      continue;
    }
    if (!inFamily(existing, col.family)) {
      problems.push(`${table.name}.${existing.name} is ${existing.columnType}; the service needs it as ${col.definition.split(' NOT')[0].split(' NULL')[0]} (or drop/rename it)`);
    } else if (col.minLength !== undefined && existing.maxLength !== null && existing.maxLength < col.minLength) {
      problems.push(`${table.name}.${existing.name} is ${existing.columnType}; the service writes up to ${col.minLength} characters`);
    }
  }
  return missing;
}

/** Computes the adoption DDL for the connected database; throws AdoptionRefused when a table cannot work. */
export async function planAdoption(conn: Connection): Promise<AdoptionPlan> {
  const server = await inspectServer(conn);
  checkServerSupported(server);
  const tables = await readTables(conn, ['invoice', 'customer', 'payment_attempt', 'stripe_event']);
  const problems: string[] = [];
  const warnings: string[] = [];
  const statements: string[] = [];
  const invoice = tables.get('invoice');
  const customer = tables.get('customer');
  if (!invoice) problems.push('table invoice does not exist (create the invoice table first, or migrate an empty database)');
  if (!customer) problems.push('table customer does not exist (create the customer table first, or migrate an empty database)');
  if (!invoice || !customer) throw new AdoptionRefused(problems);

  const need = (table: TableInfo, name: string, family: Family, what: string): ColumnInfo | undefined => {
    const c = table.columns.get(name);
    if (!c) problems.push(`${table.name} has no column ${name} (${what})`);
    else if (!inFamily(c, family)) problems.push(`${table.name}.${name} is ${c.columnType}; it must be ${what}`);
    else return c;
    return undefined;
  };

  const invoiceId = need(invoice, 'id', 'integer', 'an integer primary key');
  if (invoiceId && (invoice.primaryKey.length !== 1 || invoice.primaryKey[0] !== 'id')) {
    problems.push(`invoice.id must be the table's primary key on its own (primary key is (${invoice.primaryKey.join(', ') || 'none'}))`);
  }
  need(invoice, 'customer_id', 'integer', 'an integer referencing customer.id');
  need(invoice, 'due_date', 'temporal', 'a DATE, DATETIME or TIMESTAMP');
  need(invoice, 'amount_cents', 'integer', 'an integer amount in minor units (INT or BIGINT)');
  const customerId = need(customer, 'id', 'integer', 'an integer primary key');
  if (customerId && (customer.primaryKey.length !== 1 || customer.primaryKey[0] !== 'id')) {
    problems.push(`customer.id must be the table's primary key on its own (primary key is (${customer.primaryKey.join(', ') || 'none'}))`);
  }
  need(customer, 'stripe_customer_id', 'string', 'a VARCHAR holding the Stripe customer id');
  need(customer, 'stripe_payment_method_id', 'string', 'a VARCHAR holding the Stripe payment method id');

  const status = invoice.columns.get('status');
  let statusChange: string | undefined;
  if (!status) {
    problems.push('invoice has no column status (a VARCHAR or ENUM holding pending/paid/…)');
  } else if (status.dataType === 'enum') {
    const members = enumMembers(status.columnType);
    const lower = new Set(members);
    for (const state of SERVICE_STATES) {
      const variant = members.find((m) => m !== state && m.toLowerCase() === state);
      if (variant && !lower.has(state)) {
        problems.push(`invoice.status ENUM member '${variant}' differs from the service's '${state}' only in case; the service reads and writes lowercase states`);
      }
    }
    const missing = SERVICE_STATES.filter((s) => !lower.has(s) && !members.some((m) => m.toLowerCase() === s));
    if (missing.length > 0 && members.length + missing.length > 255) {
      problems.push(`invoice.status ENUM has ${members.length} members; appending ${missing.join(', ')} would exceed 255 (not an instant change)`);
    } else if (missing.length > 0) {
      // Appending members keeps every existing value's index: a metadata-only change on both servers.
      const type = `ENUM(${[...members, ...missing].map(quote).join(',')})`;
      const charset = status.charset ? ` CHARACTER SET ${status.charset}` : '';
      const collate = status.collation ? ` COLLATE ${status.collation}` : '';
      const nullability = status.nullable ? ' NULL' : ' NOT NULL';
      const def = status.defaultValue === null ? '' : ` DEFAULT ${/^'.*'$/.test(status.defaultValue) ? status.defaultValue : quote(status.defaultValue)}`;
      const comment = status.comment ? ` COMMENT ${quote(status.comment)}` : '';
      statusChange = `ALTER TABLE invoice MODIFY COLUMN status ${type}${charset}${collate}${nullability}${def}${comment}, ALGORITHM=INSTANT`;
    }
  } else if (status.dataType === 'varchar' || status.dataType === 'char') {
    if ((status.maxLength ?? 0) < LONGEST_STATE) {
      problems.push(`invoice.status is ${status.columnType}; the service writes 'requires_auth' (${LONGEST_STATE} characters): widen it to VARCHAR(32) first`);
    }
  } else {
    problems.push(`invoice.status is ${status.columnType}; it must be a VARCHAR or ENUM`);
  }

  const missingInvoice = checkAddedColumns(invoice, INVOICE_ADDED, problems);
  const missingCustomer = checkAddedColumns(customer, TIMESTAMPS, problems);

  for (const [name, columns] of Object.entries(SIDE_TABLE_COLUMNS)) {
    const side = tables.get(name);
    if (!side) continue;
    const absent = columns.filter((c) => !side.columns.has(c));
    if (absent.length > 0) {
      problems.push(`table ${name} exists but is not the service's (no column ${absent.join(', ')}); rename it before adopting`);
    }
  }
  const attempts = tables.get('payment_attempt');
  const attemptInvoiceId = attempts?.columns.get('invoice_id');
  if (invoiceId && attemptInvoiceId && integerTypeOf(attemptInvoiceId) !== integerTypeOf(invoiceId) && INTEGER_TYPES.has(attemptInvoiceId.dataType)) {
    const widerOrEqual = attemptInvoiceId.dataType === 'bigint' && (/unsigned/i.test(attemptInvoiceId.columnType) || !/unsigned/i.test(invoiceId.columnType));
    if (!widerOrEqual) problems.push(`payment_attempt.invoice_id is ${attemptInvoiceId.columnType} but invoice.id is ${invoiceId.columnType}`);
  }
  if (problems.length > 0) throw new AdoptionRefused(problems);

  // An ENUM stores its own members' spelling, so only a string status can hold 'PENDING' next to 'pending'.
  if (status && status.dataType !== 'enum' && isCaseInsensitive(status)) {
    const [[row]] = await conn.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM invoice WHERE status IN (?) AND CAST(status AS BINARY) NOT IN (?)`,
      [[...SERVICE_STATES], [...SERVICE_STATES]],
    );
    const n = Number(row?.n ?? 0);
    if (n > 0) warnings.push(
      `invoice.status has a case-insensitive collation (${status.collation}): only exactly lowercase states are the service's; `
      + `${n} row(s) differ only in case (e.g. 'PENDING') and are never charged or changed — normalise them to lowercase if they are meant to be charged`,
    );
  }

  if (statusChange) statements.push(statusChange);
  if (missingInvoice.length > 0) {
    statements.push(`ALTER TABLE invoice\n  ${missingInvoice.map((c) => `ADD COLUMN ${c.name} ${c.definition}`).join(',\n  ')},\n  ${addColumnAlgorithm(invoice)}`);
  }
  if (missingCustomer.length > 0) {
    statements.push(`ALTER TABLE customer\n  ${missingCustomer.map((c) => `ADD COLUMN ${c.name} ${c.definition}`).join(',\n  ')},\n  ${addColumnAlgorithm(customer)}`);
  }
  const missingIndexes = INVOICE_INDEXES.filter((ix) => !hasIndexOn(invoice, ix.columns) && !invoice.indexes.has(ix.name));
  if (missingIndexes.length > 0) {
    statements.push(`ALTER TABLE invoice\n  ${missingIndexes.map((ix) => `ADD KEY ${ix.name} (${ix.columns.join(', ')})`).join(',\n  ')},\n  ALGORITHM=INPLACE, LOCK=NONE`);
  }
  const idType = invoiceId ? integerTypeOf(invoiceId) : 'BIGINT UNSIGNED';
  for (const [name, ddl] of Object.entries(sideTables(idType))) {
    if (!tables.has(name)) statements.push(ddl);
  }
  return { server, statements, warnings };
}
