// Money at the sandbox's boundary. Keap v2 is inconsistent about units: CurrencyValue.amount and product
// prices are integers in minor units ("the smallest currency unit"), while order-item prices and payment
// amounts are doubles in major units (19.99). Inside the sandbox every amount is an integer in minor units;
// doubles are converted once, on input, with a single rounding, and never accumulated as floats.

export interface CurrencyValue {
  amount: number;
  currency_code: string;
  formatted_amount: string;
}

export class Money {
  readonly currency: string;
  /** The currency's own number of decimals (2 for USD, 0 for JPY, 3 for KWD), per Intl. */
  readonly digits: number;
  private readonly factor: number;
  private readonly formatter: Intl.NumberFormat;

  constructor(currency: string, locale = 'en-US') {
    // Intl throws a RangeError for a malformed code; an unknown but well-formed one falls back to 2 decimals.
    this.formatter = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() });
    const resolved = this.formatter.resolvedOptions();
    this.currency = resolved.currency ?? currency.toUpperCase();
    this.digits = resolved.maximumFractionDigits ?? 2;
    this.factor = 10 ** this.digits;
  }

  /** Major-unit double (as sent by clients, e.g. 19.99) to integer minor units (1999); undefined if not representable. */
  toMinor(major: number): number | undefined {
    if (!Number.isFinite(major)) return undefined;
    const minor = Math.round(major * this.factor);
    return Number.isSafeInteger(minor) ? minor : undefined;
  }

  /** Integer minor units to the major-unit double Keap reports in payment records (1999 -> 19.99). */
  toMajor(minor: number): number {
    return minor / this.factor;
  }

  value(minor: number): CurrencyValue {
    return {
      amount: minor,
      currency_code: this.currency,
      formatted_amount: this.formatter.format(this.toMajor(minor)),
    };
  }
}
