"""The metering proxy's arithmetic: item sizes, what a transaction's actions cost, and round trips.

Run by `make checks` (python -m unittest discover -s bench).
"""

import unittest

from dynamodb_meter import Meter, item_size, kb, round_trips, transaction_action_units

INDEXES = {"gsi1": ["gsi1pk", "gsi1sk"]}


def item(pk, padding=0, **attributes):
    attributes = {name: {"S": value} for name, value in attributes.items()}
    return {"pk": {"S": pk}, "sk": {"S": "RECORD"}, "pad": {"S": "x" * padding}, **attributes}


class ItemSize(unittest.TestCase):
    def test_names_and_values_count(self):
        self.assertEqual(item_size({"ab": {"S": "xyz"}}), 5)
        self.assertEqual(item_size({"n": {"N": "12345"}}), 1 + 4)
        self.assertEqual(item_size({"b": {"BOOL": True}, "z": {"NULL": True}}), 4)
        self.assertEqual(item_size({"m": {"M": {"k": {"S": "v"}}}}), 1 + 3 + (1 + 1 + 1))
        self.assertEqual(item_size({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}), 1 + 3 + (2 + 1) + (2 + 1))
        self.assertEqual(item_size(None), 0)

    def test_units_round_up_to_a_kilobyte_and_never_fall_below_one(self):
        self.assertEqual([kb(0), kb(1), kb(1024), kb(1025), kb(3000)], [1, 1, 1, 2, 3])


class RoundTrips(unittest.TestCase):
    def test_calls_one_after_another_are_a_wait_each(self):
        self.assertEqual(round_trips([(0, 1), (1, 2), (3, 4)]), 3)

    def test_calls_made_at_once_are_one_wait_however_they_end(self):
        self.assertEqual(round_trips([(0, 5), (0.1, 1), (0.2, 3)]), 1)
        # A wave of two, then one after the longer of them ended.
        self.assertEqual(round_trips([(2, 3), (0, 1), (0, 2)]), 2)

    def test_no_calls_no_wait(self):
        self.assertEqual(round_trips([]), 0)


class TransactionUnits(unittest.TestCase):
    def test_a_put_pays_twice_per_kilobyte_and_its_index_copy_once(self):
        new = item("a", padding=1500, gsi1pk="g", gsi1sk="1")
        self.assertEqual(transaction_action_units("Put", None, new, INDEXES), (4, 2))

    def test_an_item_in_no_index_writes_none(self):
        self.assertEqual(transaction_action_units("Put", None, item("a"), INDEXES), (2, 0))

    def test_an_update_pays_for_the_larger_of_before_and_after(self):
        old, new = item("a", padding=100), item("a", padding=2100)
        self.assertEqual(transaction_action_units("Update", old, new, INDEXES), (6, 0))

    def test_a_changed_index_key_writes_both_copies(self):
        old = item("a", gsi1pk="g", gsi1sk="1")
        moved = item("a", gsi1pk="g", gsi1sk="2")
        self.assertEqual(transaction_action_units("Update", old, moved, INDEXES), (2, 2))
        same_key = item("a", gsi1pk="g", gsi1sk="1", note="n")
        self.assertEqual(transaction_action_units("Update", old, same_key, INDEXES), (2, 1))

    def test_a_delete_removes_the_index_copy_and_a_condition_check_writes_no_index(self):
        old = item("a", gsi1pk="g", gsi1sk="1")
        self.assertEqual(transaction_action_units("Delete", old, None, INDEXES), (2, 1))
        self.assertEqual(transaction_action_units("ConditionCheck", old, old, INDEXES), (2, 0))


class OutboxEvents(unittest.TestCase):
    def test_only_outbox_items_count_as_events(self):
        request = {"TransactItems": [
            {"Put": {"Item": {"pk": {"S": "OUTBOX#c"}, "sk": {"S": "1"}}}},
            {"Put": {"Item": {"pk": {"S": "CUSTOMER#c"}, "sk": {"S": "RECORD"}}}},
            {"Update": {"Key": {"pk": {"S": "OUTBOX#c"}, "sk": {"S": "2"}}}},
        ]}
        self.assertEqual(Meter.outbox_puts("TransactWriteItems", request), 1)
        self.assertEqual(Meter.outbox_puts("PutItem", {"Item": {"pk": {"S": "OUTBOX#c"}}}), 1)
        self.assertEqual(Meter.outbox_puts("GetItem", {"Key": {"pk": {"S": "OUTBOX#c"}}}), 0)


if __name__ == "__main__":
    unittest.main()
