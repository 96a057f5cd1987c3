// Money at the sandbox's boundary. Keap v2 is inconsistent about units: CurrencyValue.amount and product
// prices are integers in minor units ("the smallest currency unit"), while order-item prices and payment
// amounts are doubles in major units (19.99). Inside the sandbox every amount is an integer in minor units;
// doubles are converted once, on input, with a single rounding, and never accumulated as floats.
import { formatMinorUnits, stripeMinorUnitExponent } from '../common/money';

export interface CurrencyValue {
  amount: number;
  currency_code: string;
  formatted_amount: string;
}

export class Money {
  readonly currency: string;
  /**
   * The currency's minor-unit decimals as Stripe counts them (USD 2, JPY 0, KWD 3, HUF 2), from the same
   * table Sales Sync converts with: Intl's display digits (HUF 0) would scale amounts by 100.
   */
  readonly digits: number;
  private readonly factor: number;
  private readonly locale: string;

  constructor(currency: string, locale = 'en-US') {
    // Intl throws a RangeError for a malformed code; an unknown but well-formed one has 2 decimals.
    const resolved = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() });
    this.currency = resolved.resolvedOptions().currency ?? currency.toUpperCase();
    this.locale = locale;
    this.digits = stripeMinorUnitExponent(this.currency);
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
      formatted_amount: formatMinorUnits(minor, this.currency, this.locale),
    };
  }
}
