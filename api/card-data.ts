/**
 * Card data is never accepted. Sales Sync records sales that the payment processor already charged:
 * it needs the processor's payment ids, never a card number, CVC or expiry date, and whatever an
 * order carries ends up in Temporal workflow history, where card data must never be. The strict zod
 * schemas already refuse unknown keys (a 400 "Unrecognized key"); this check runs first, on every
 * JSON body of the bearer-authenticated API, and answers a distinct 422 `card_data_rejected` naming
 * the offending keys, so that an integrator sending card fields learns that at once, and so that a
 * schema loosened one day (a free-form metadata field, say) still cannot let card data in.
 *
 * Keys are matched by word, not by substring ("pan" must not match "company", "expand"), after
 * splitting camelCase, snake_case and kebab-case. Values are not inspected: a 16-digit string in a
 * name field is a name. Stripe webhooks are not checked here: they are signed by Stripe, carry only
 * the card's brand and last 4 digits, and their mapper keeps only the fields it reads.
 */
import type { RequestHandler } from 'express';
import { HttpError } from './errors';
import type { FieldProblem } from './errors';

/** One word of a key that means card data. */
const CARD_WORD =
  /^(cards?|cardno|cardnum|cardnumber|cardholder|creditcard|debitcard|cc|ccnum|ccnumber|ccv|cvc2?|cvv2?|csc|pan|expiry|exp)$/;
/** Whole keys (separators removed, lowercased) that mean card data though no single word does. */
const CARD_KEY = /^(primaryaccountnumber|securitycode|cardsecuritycode|expirationdate|expmonth|expyear)$/;

/** Whether an object key names card data: `cardNumber`, `card`, `cvc`, `PAN`, `exp_month`, `card_expiry`… */
export function isCardDataKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.some((word) => CARD_WORD.test(word)) || CARD_KEY.test(words.join(''));
}

/** The paths of every card-data key in a parsed JSON value (iterative: deep nesting cannot overflow the stack). */
export function findCardDataKeys(value: unknown, limit = 20): string[] {
  const found: string[] = [];
  const pending: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (pending.length > 0 && found.length < limit) {
    const next = pending.pop() as { value: unknown; path: string };
    if (typeof next.value !== 'object' || next.value === null) continue;
    const entries = Array.isArray(next.value)
      ? next.value.map((item, index) => [String(index), item] as const)
      : Object.entries(next.value);
    for (const [key, child] of entries) {
      const path = next.path ? `${next.path}.${key}` : key;
      if (!Array.isArray(next.value) && isCardDataKey(key)) found.push(path);
      else pending.push({ value: child, path });
    }
  }
  return found.sort();
}

/** Express middleware, after the JSON parser: 422 `card_data_rejected` when the body holds card fields. */
export const rejectCardData: RequestHandler = (req, _res, next) => {
  const paths = findCardDataKeys(req.body);
  if (paths.length === 0) return next();
  const details: FieldProblem[] = paths.map((path) => ({ path, message: 'card data is not accepted' }));
  next(
    new HttpError(
      422,
      'card_data_rejected',
      `Card data is not accepted: remove ${paths.map((p) => `"${p}"`).join(', ')}. Sales Sync records payments the ` +
        "processor already took; send only the processor's payment id, never card numbers, CVCs or expiry dates.",
      details,
    ),
  );
};
