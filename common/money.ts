/**
 * The one place money changes representation. Inside Sales Sync every amount is an integer in the
 * currency's minor unit (cents for USD, yen for JPY, fils for KWD). Keap's v2 order and payment
 * writes take decimal numbers in major units (`price_per_unit`, `payment_amount`), while its
 * `CurrencyValue` reads and product prices are integers in minor units.
 */

const supportedCurrencies = new Set(Intl.supportedValuesOf('currency'));

// Minor units as Stripe's currency docs list them (docs.stripe.com/currencies): Stripe sends these
// amounts, so they fix the exponent. Intl's display digits do not: CLDR shows HUF, ISK, IDR, COP and
// PKR without decimals, yet Stripe counts them in hundredths (HUF and TWD are charged with two
// decimals; ISK stays two-decimal in the API, in multiples of 100), while UGX is zero-decimal at Stripe.
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

export function isSupportedCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && supportedCurrencies.has(code);
}

/** Stripe's minor-unit exponent for a currency, supported or not (every other currency has two decimals). */
export function stripeMinorUnitExponent(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

/** Digits after the decimal point of a minor unit, as Stripe counts them (USD 2, JPY 0, KWD 3, HUF 2). */
export function currencyExponent(currency: string): number {
  if (!isSupportedCurrency(currency)) throw new RangeError(`Unsupported currency "${currency}"`);
  return stripeMinorUnitExponent(currency);
}

function assertMinorUnits(amount: number): void {
  if (!Number.isSafeInteger(amount))
    throw new RangeError(`Money must be an integer number of minor units, got ${amount}`);
}

/** Integer minor units → the decimal major-unit number Keap's order and payment writes expect. */
export function toKeapDecimal(minorUnits: number, currency: string): number {
  assertMinorUnits(minorUnits);
  const exponent = currencyExponent(currency);
  // Dividing an exact integer by a power of ten and re-rounding to `exponent` decimals gives the
  // closest double to the decimal value, which JSON then prints without float noise (1999 → 19.99).
  return Number((minorUnits / 10 ** exponent).toFixed(exponent));
}

/** A decimal major-unit number from Keap → integer minor units, rounding away binary float error. */
export function fromKeapDecimal(amount: number, currency: string): number {
  if (!Number.isFinite(amount)) throw new RangeError(`Keap amount is not a finite number: ${amount}`);
  // toPrecision(15) first strips binary noise (1.005 * 100 = 100.49999999999999 → 100.5), so the
  // result is what the decimal Keap wrote means, rounded half up.
  return Math.round(Number((amount * 10 ** currencyExponent(currency)).toPrecision(15)));
}

/** Human-readable amount for summaries and messages, e.g. 1999 USD → "$19.99". */
export function formatMoney(minorUnits: number, currency: string): string {
  assertMinorUnits(minorUnits);
  if (!isSupportedCurrency(currency)) throw new RangeError(`Unsupported currency "${currency}"`);
  return formatMinorUnits(minorUnits, currency);
}

/**
 * formatMoney for any well-formed code and locale (the Keap sandbox formats its tenant's currency so).
 * Shows the currency's usual digits (HUF 1000000 → "HUF 10,000"), but every minor digit when there is
 * a fraction (HUF 1050 → "HUF 10.50"), so the display never rounds an amount away.
 */
export function formatMinorUnits(minorUnits: number, currency: string, locale = 'en-US'): string {
  const exponent = stripeMinorUnitExponent(currency);
  const usual = new Intl.NumberFormat(locale, { style: 'currency', currency }).resolvedOptions().minimumFractionDigits;
  const fraction = minorUnits % 10 ** exponent !== 0;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: fraction ? exponent : Math.min(usual ?? exponent, exponent),
    maximumFractionDigits: exponent,
  }).format(minorUnits / 10 ** exponent);
}

/** Sum of integer amounts that refuses to leave the safe-integer range. */
export function sumMinorUnits(amounts: readonly number[]): number {
  let total = 0;
  for (const amount of amounts) {
    assertMinorUnits(amount);
    total += amount;
    assertMinorUnits(total);
  }
  return total;
}
