/**
 * The one place money changes representation. Inside Sales Sync every amount is an integer in the
 * currency's minor unit (cents for USD, yen for JPY, fils for KWD). Keap's v2 order and payment
 * writes take decimal numbers in major units (`price_per_unit`, `payment_amount`), while its
 * `CurrencyValue` reads and product prices are integers in minor units.
 */

const supportedCurrencies = new Set(Intl.supportedValuesOf('currency'));
const exponentCache = new Map<string, number>();

export function isSupportedCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && supportedCurrencies.has(code);
}

/** Digits after the decimal point for an ISO 4217 currency, as the platform's CLDR data says (USD 2, JPY 0, KWD 3). */
export function currencyExponent(currency: string): number {
  const cached = exponentCache.get(currency);
  if (cached !== undefined) return cached;
  if (!isSupportedCurrency(currency)) throw new RangeError(`Unsupported currency "${currency}"`);
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  const exponent = digits ?? 2;
  exponentCache.set(currency, exponent);
  return exponent;
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
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(toKeapDecimal(minorUnits, currency));
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
