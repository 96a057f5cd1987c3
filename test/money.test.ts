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
