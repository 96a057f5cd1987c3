import { strict as assert } from 'node:assert';
import { currencyExponent, formatMoney, fromKeapDecimal, sumMinorUnits, toKeapDecimal } from '../common/money';

describe('money: minor units ↔ Keap decimals', () => {
  it('uses each currency’s own exponent', () => {
    assert.equal(currencyExponent('USD'), 2);
    assert.equal(currencyExponent('JPY'), 0);
    assert.equal(currencyExponent('KWD'), 3);
    assert.throws(() => currencyExponent('XYZ'), /Unsupported currency/);
    assert.throws(() => currencyExponent('usd'), /Unsupported currency/);
  });

  it('converts to the decimal Keap expects without float noise', () => {
    assert.equal(toKeapDecimal(1999, 'USD'), 19.99);
    assert.equal(JSON.stringify({ a: toKeapDecimal(1999, 'USD') }), '{"a":19.99}');
    assert.equal(toKeapDecimal(1, 'USD'), 0.01);
    assert.equal(toKeapDecimal(0, 'USD'), 0);
    assert.equal(toKeapDecimal(500, 'JPY'), 500);
    assert.equal(toKeapDecimal(1234, 'KWD'), 1.234);
    assert.equal(toKeapDecimal(99_999_999_999, 'USD'), 999_999_999.99);
  });

  it('round-trips every cent amount in a wide range exactly', () => {
    for (let cents = 0; cents <= 200_000; cents += 7) {
      assert.equal(fromKeapDecimal(toKeapDecimal(cents, 'USD'), 'USD'), cents);
    }
    // Classic binary-float traps: 0.1 + 0.2, 1.005, 4.35 * 100.
    assert.equal(fromKeapDecimal(0.1 + 0.2, 'USD'), 30);
    assert.equal(fromKeapDecimal(4.35, 'USD'), 435);
    assert.equal(fromKeapDecimal(1.005, 'USD'), 101);
  });

  it('refuses non-integer and unsafe amounts instead of rounding silently', () => {
    assert.throws(() => toKeapDecimal(19.5, 'USD'), /integer number of minor units/);
    assert.throws(() => toKeapDecimal(Number.MAX_SAFE_INTEGER + 2, 'USD'), /integer/);
    assert.throws(() => fromKeapDecimal(Number.NaN, 'USD'), /finite/);
    assert.throws(() => sumMinorUnits([Number.MAX_SAFE_INTEGER, 1]), /integer/);
    assert.equal(sumMinorUnits([1999, 1, 3000]), 5000);
  });

  it('formats for people', () => {
    assert.equal(formatMoney(4900, 'USD'), '$49.00');
    assert.equal(formatMoney(500, 'JPY'), '¥500');
  });
});

describe('money: minor units are Stripe’s, not Intl’s display digits', () => {
  // Amounts as Stripe sends them (minor units), what Keap's decimal writes must carry, and how people read
  // them. Intl shows HUF, ISK, IDR, COP and PKR without decimals, yet Stripe counts them in hundredths.
  const NBSP = '\u00a0';
  const cases: { currency: string; exponent: number; minor: number; decimal: number; formatted: string }[] = [
    { currency: 'USD', exponent: 2, minor: 4900, decimal: 49, formatted: '$49.00' },
    { currency: 'JPY', exponent: 0, minor: 500, decimal: 500, formatted: '¥500' },
    { currency: 'KRW', exponent: 0, minor: 15000, decimal: 15000, formatted: '₩15,000' },
    { currency: 'KWD', exponent: 3, minor: 1234, decimal: 1.234, formatted: `KWD${NBSP}1.234` },
    { currency: 'BHD', exponent: 3, minor: 5250, decimal: 5.25, formatted: `BHD${NBSP}5.250` },
    { currency: 'HUF', exponent: 2, minor: 1_000_000, decimal: 10000, formatted: `HUF${NBSP}10,000` },
    { currency: 'HUF', exponent: 2, minor: 1050, decimal: 10.5, formatted: `HUF${NBSP}10.50` },
    { currency: 'TWD', exponent: 2, minor: 29900, decimal: 299, formatted: 'NT$299.00' },
    { currency: 'ISK', exponent: 2, minor: 50000, decimal: 500, formatted: `ISK${NBSP}500` },
    { currency: 'UGX', exponent: 0, minor: 5000, decimal: 5000, formatted: `UGX${NBSP}5,000` },
    { currency: 'IDR', exponent: 2, minor: 15_000_000, decimal: 150000, formatted: `IDR${NBSP}150,000` },
    { currency: 'COP', exponent: 2, minor: 5_000_000, decimal: 50000, formatted: `COP${NBSP}50,000` },
    { currency: 'PKR', exponent: 2, minor: 250000, decimal: 2500, formatted: `PKR${NBSP}2,500` },
    { currency: 'CLP', exponent: 0, minor: 9990, decimal: 9990, formatted: `CLP${NBSP}9,990` },
    { currency: 'VND', exponent: 0, minor: 250000, decimal: 250000, formatted: '₫250,000' },
  ];

  for (const { currency, exponent, minor, decimal, formatted } of cases) {
    it(`${currency} ${minor}: exponent ${exponent}, Keap ${decimal}, "${formatted}"`, () => {
      assert.equal(currencyExponent(currency), exponent);
      assert.equal(toKeapDecimal(minor, currency), decimal);
      assert.equal(fromKeapDecimal(decimal, currency), minor);
      assert.equal(fromKeapDecimal(toKeapDecimal(minor, currency), currency), minor);
      assert.equal(formatMoney(minor, currency), formatted);
    });
  }
});
