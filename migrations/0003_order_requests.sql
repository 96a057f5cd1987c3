-- The order as it was placed (the PlaceOrderRequest the workflow took: items, customer, plan,
-- settings), so an event that comes after the order's workflow closed, even after its history is
-- gone, can still be recorded by a new run that knows the order.
ALTER TABLE orders ADD COLUMN placed_request json;
