/**
 * The Keap sandbox's in-memory table: indexes and cursor paging at benchmark sizes.
 */
import { strict as assert } from 'node:assert';
import { Table } from '../store/table';

describe('Keap sandbox table', () => {
  it('keeps indexes and cursor paging right at benchmark sizes', () => {
    const table = new Table<{ id: number; group: string }>();
    table.addIndex('group', (r) => [r.group]);
    const started = Date.now();
    for (let i = 0; i < 50_000; i++) table.insert({ id: table.nextId(), group: `g${i % 1000}` });
    assert.equal(table.lookup('group', 'g7').size, 50);
    const page = table.page({ candidates: [table.lookup('group', 'g7')], afterId: 0, limit: 10 });
    assert.deepEqual(
      page.rows.map((r) => r.id),
      [8, 1008, 2008, 3008, 4008, 5008, 6008, 7008, 8008, 9008],
    );
    assert.equal(page.more, true);
    const row = table.get(8);
    assert.ok(row);
    table.update(row, (r) => (r.group = 'moved'));
    assert.equal(table.lookup('group', 'g7').size, 49);
    assert.equal(table.lookup('group', 'moved').size, 1);
    table.delete(1008);
    const after = table.page({ afterId: 49_990, limit: 100 });
    assert.equal(after.rows.length, 10);
    assert.equal(after.more, false);
    assert.ok(Date.now() - started < 1500, 'fast');
  });
});
