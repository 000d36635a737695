"""The cost model's arithmetic (bench/prices.py).

Run by `make checks` (python -m unittest discover -s bench).
"""

import unittest

import prices


class LambdaCost(unittest.TestCase):
    def test_cpu_stretches_by_the_memorys_cpu_share_and_bills_whole_milliseconds(self):
        # 1 ms of CPU at 128 MB: 1769 / 128 = 13.8 ms, billed 14 ms of 0.125 GB.
        expected = prices.LAMBDA_REQUEST + 0.125 * 0.014 * prices.LAMBDA_ARM_GB_SECOND
        self.assertAlmostEqual(prices.lambda_cost(128, 1.0, 0), expected)

    def test_each_aws_call_adds_its_wait(self):
        extra = prices.lambda_cost(128, 1.0, 2) - prices.lambda_cost(128, 1.0, 0)
        self.assertAlmostEqual(extra, 0.125 * 2 * prices.AWS_CALL_MS / 1000 * prices.LAMBDA_ARM_GB_SECOND)

    def test_at_a_full_vcpu_or_more_cpu_time_is_not_stretched(self):
        expected = prices.LAMBDA_REQUEST + 2.0 * 0.010 * prices.LAMBDA_ARM_GB_SECOND
        self.assertAlmostEqual(prices.lambda_cost(2048, 10.0, 0), expected)


class PerMillion(unittest.TestCase):
    def test_the_parts_add_up_and_an_api_request_pays_gateway_and_authorizer(self):
        cost = prices.cost_per_million(128, 2.0, 2, ["DynamoDB GetItem", "S3 PutObject"], 1.0, 3.0, 1, 1000, 0.5,
                                       api=True, authorizer=(1.0, 0, 700, 128))
        self.assertAlmostEqual(cost["total"], sum(v for k, v in cost.items() if k != "total"))
        self.assertAlmostEqual(cost["api"], 1.00)
        self.assertAlmostEqual(cost["dynamodb"], 0.125 + 3 * 0.625)
        self.assertAlmostEqual(cost["events"], 1.00 + 0.5)
        self.assertAlmostEqual(cost["s3 sqs"], 5.00)
        self.assertGreater(cost["authorizer"], 0.20)

    def test_an_event_function_pays_no_gateway_and_no_authorizer(self):
        cost = prices.cost_per_million(128, 2.0, 1, ["DynamoDB GetItem"], 1.0, 0.0, 0, 1000, 0.0, api=False)
        self.assertEqual((cost["api"], cost["authorizer"]), (0.0, 0.0))


if __name__ == "__main__":
    unittest.main()
