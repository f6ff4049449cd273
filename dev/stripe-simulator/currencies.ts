/**
 * Amount rules: supported currencies, zero- and three-decimal currencies, minimum and maximum
 * charge amounts (https://stripe.com/docs/currencies).
 */
import { ApiError, docUrl, invalidParam } from './errors';

/** The list Stripe prints in "Invalid currency" errors (US account). */
export const SUPPORTED_CURRENCIES: readonly string[] = (
  'usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd ' +
  'cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd ' +
  'hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad ' +
  'mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln ' +
  'pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs ' +
  'uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw'
).split(' ');

export const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);
export const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Stripe's "amount value supports up to eight digits". */
export const MAX_AMOUNT = 99_999_999;

/**
 * Minimums in minor units. `published` rows are Stripe's table for settlement currencies (message
 * "Amount must be at least …"); the others are our approximation of "0.50 USD equivalent" (message
 * "Amount must convert to at least 50 cents …"). Unlisted two-decimal currencies default to 50.
 */
const PUBLISHED_MINIMUMS: Record<string, number> = {
  usd: 50, aed: 200, aud: 50, bgn: 100, brl: 50, cad: 50, chf: 50, czk: 1500, dkk: 250, eur: 50,
  gbp: 30, hkd: 400, huf: 17500, inr: 50, jpy: 50, mxn: 1000, myr: 200, nok: 300, nzd: 50, pln: 200,
  ron: 200, sek: 300, sgd: 50, thb: 1000,
};
const CONVERTED_MINIMUMS: Record<string, number> = {
  // zero-decimal (whole units)
  bif: 1500, clp: 500, djf: 100, gnf: 5000, kmf: 250, krw: 700, mga: 2500, pyg: 4000, rwf: 700,
  ugx: 2000, vnd: 13000, vuv: 60, xaf: 300, xof: 300, xpf: 60,
  // three-decimal (thousandths, always ending in 0)
  bhd: 200, jod: 400, kwd: 200, omr: 200, tnd: 2000,
  // two-decimal currencies where 50 minor units is far below 0.50 USD
  idr: 800000, cop: 200000, ars: 50000, ngn: 80000, pkr: 15000, lkr: 15000, kzt: 25000,
  php: 3000, twd: 1600, zar: 1000, try: 2000, egp: 2500,
};

export function decimalsOf(currency: string): 0 | 2 | 3 {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

export function minimumAmount(currency: string): number {
  return PUBLISHED_MINIMUMS[currency] ?? CONVERTED_MINIMUMS[currency] ?? 50;
}

const SYMBOLS: Record<string, string> = {
  usd: '$', eur: '€', gbp: '£', jpy: '¥', cad: '$', aud: '$', nzd: '$', sgd: '$', hkd: '$', inr: '₹',
};

/** "$999,999.99", "¥50", "0.200" — Stripe-style display of a minor-unit amount. */
export function formatAmount(amount: number, currency: string): string {
  const decimals = decimalsOf(currency);
  const major = amount / 10 ** decimals;
  const text = major.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return `${SYMBOLS[currency] ?? ''}${text}`;
}

/** Validates `currency` (already lower-cased) and returns it. */
export function validateCurrency(raw: string): string {
  const currency = raw.toLowerCase();
  if (!SUPPORTED_CURRENCIES.includes(currency)) {
    throw invalidParam(
      `Invalid currency: ${raw}. Stripe currently supports these currencies: ${SUPPORTED_CURRENCIES.join(', ')}`,
      'currency',
    );
  }
  return currency;
}

/** Parses Stripe's integer parameter text; throws `parameter_invalid_integer` otherwise. */
export function parseInteger(raw: string, param: string): number {
  if (!/^-?\d+$/.test(raw.trim())) {
    throw invalidParam(`Invalid integer: ${raw}`, param, 'parameter_invalid_integer');
  }
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n)) throw invalidParam(`Invalid integer: ${raw}`, param, 'parameter_invalid_integer');
  return n;
}

/** Amount rules, in the order Stripe reports them. All are validation errors (not stored). */
export function validateAmount(amount: number, currency: string): void {
  if (amount < 1) {
    throw invalidParam('This value must be greater than or equal to 1.', 'amount');
  }
  if (amount > MAX_AMOUNT) {
    throw new ApiError(
      400,
      {
        type: 'invalid_request_error',
        code: 'amount_too_large',
        doc_url: docUrl('amount_too_large'),
        param: 'amount',
        message: `Amount must be no more than ${formatAmount(MAX_AMOUNT, currency)} ${currency}`,
      },
      'dont-store',
    );
  }
  // Three-decimal currencies settle in hundredths: Stripe requires the last digit to be 0. The exact
  // code Stripe uses is undocumented; `invalid_charge_amount` is the closest published code.
  if (THREE_DECIMAL.has(currency) && amount % 10 !== 0) {
    throw new ApiError(
      400,
      {
        type: 'invalid_request_error',
        code: 'invalid_charge_amount',
        doc_url: docUrl('invalid_charge_amount'),
        param: 'amount',
        message: `Invalid amount: ${currency} is a three-decimal currency; the amount must be a multiple of 10 (its last digit must be 0).`,
      },
      'dont-store',
    );
  }
  const min = minimumAmount(currency);
  if (amount < min) {
    const published = currency in PUBLISHED_MINIMUMS;
    const approxUsd = ((amount * 50) / min / 100).toFixed(2);
    throw new ApiError(
      400,
      {
        type: 'invalid_request_error',
        code: 'amount_too_small',
        doc_url: docUrl('amount_too_small'),
        param: 'amount',
        message: published
          ? `Amount must be at least ${formatAmount(min, currency)} ${currency}`
          : `Amount must convert to at least 50 cents. ${formatAmount(amount, currency)} ${currency} converts to approximately $${approxUsd}.`,
      },
      'dont-store',
    );
  }
}
