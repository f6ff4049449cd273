/**
 * Currency rules Stripe applies to a charge. Amounts are always integer minor units
 * (cents for USD, whole yen for JPY, fils for BHD).
 */

const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Stripe's minimum charge per currency, in minor units (about 0.50 USD). */
const MINIMUM_MINOR_UNITS: Record<string, number> = {
  usd: 50, eur: 50, cad: 50, aud: 50, chf: 50, nzd: 50, sgd: 50, brl: 50,
  gbp: 30, jpy: 50, hkd: 400, dkk: 250, nok: 300, sek: 300, pln: 200, czk: 1500,
  huf: 17500, mxn: 1000, ron: 200, bgn: 100, inr: 50, myr: 200, thb: 1000, aed: 200,
  krw: 700, vnd: 13000, clp: 500, bhd: 200, jod: 400, kwd: 200, omr: 200, tnd: 1500,
};

/** Stripe's maximum for a single charge: 8 digits of minor units. */
export const MAXIMUM_MINOR_UNITS = 99_999_999;

const CURRENCY_PATTERN = /^[a-z]{3}$/;

export function isKnownCurrency(currency: string): boolean {
  return currency in MINIMUM_MINOR_UNITS || ZERO_DECIMAL.has(currency) || THREE_DECIMAL.has(currency);
}

export function currencyExponent(currency: string): 0 | 2 | 3 {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

export function minimumChargeMinorUnits(currency: string): number {
  return MINIMUM_MINOR_UNITS[currency] ?? 50;
}

export type AmountCheck =
  | { kind: 'ok'; amountCents: number; currency: string }
  | { kind: 'invalid'; code: 'invalid_amount' | 'invalid_currency'; message: string }
  | { kind: 'below_minimum'; code: 'amount_too_small'; message: string };

/** Normalises a stored currency code; undefined when it cannot be a currency at all. */
export function normaliseCurrency(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const lower = raw.trim().toLowerCase();
  return CURRENCY_PATTERN.test(lower) ? lower : undefined;
}

/**
 * Checks an invoice amount before anything is sent to Stripe. Invalid data is a permanent
 * problem of the invoice; an amount below the minimum is not an error of the data and waits.
 */
export function checkAmount(amount: unknown, rawCurrency: unknown): AmountCheck {
  const currency = normaliseCurrency(rawCurrency);
  if (currency === undefined || !isKnownCurrency(currency)) {
    return { kind: 'invalid', code: 'invalid_currency', message: `unknown currency ${JSON.stringify(rawCurrency)}` };
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
    return { kind: 'invalid', code: 'invalid_amount', message: `amount must be an integer number of minor units, got ${String(amount)}` };
  }
  if (amount <= 0) {
    return { kind: 'invalid', code: 'invalid_amount', message: `amount must be positive, got ${amount}` };
  }
  if (amount > MAXIMUM_MINOR_UNITS) {
    return { kind: 'invalid', code: 'invalid_amount', message: `amount ${amount} exceeds Stripe's maximum of ${MAXIMUM_MINOR_UNITS}` };
  }
  if (currencyExponent(currency) === 3 && amount % 10 !== 0) {
    return { kind: 'invalid', code: 'invalid_amount', message: `${currency.toUpperCase()} amounts must end in 0 (got ${amount})` };
  }
  const minimum = minimumChargeMinorUnits(currency);
  if (amount < minimum) {
    return {
      kind: 'below_minimum',
      code: 'amount_too_small',
      message: `${formatMoney(amount, currency)} is below Stripe's minimum of ${formatMoney(minimum, currency)}`,
    };
  }
  return { kind: 'ok', amountCents: amount, currency };
}

/** 5000 usd → "50.00 USD"; 500 jpy → "500 JPY"; 1230 bhd → "1.230 BHD". */
export function formatMoney(amount: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = amount < 0;
  const digits = Math.abs(amount).toString().padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${whole}${fraction} ${currency.toUpperCase()}`;
}
