// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Market} from "./Market.sol";
import {Token} from "./Token.sol";

/// @title Test-only bulk order placement
/// @notice Places many pseudo-random orders in one transaction, so that tests and benchmarks can
/// build a market of 100,000 or 1,000,000 orders quickly (run anvil with
/// `--disable-block-gas-limit`). Every order is authored by this contract: deploy several seeders
/// for several authors. BIDs lock tokens that this contract holds (mint to it first). Never
/// deployed by the agent.
contract MarketSeeder {
    Market public immutable market;

    constructor(Market market_, Token token) {
        market = market_;
        token.approve(address(market_), type(uint256).max);
    }

    /// @notice Places `count` orders whose fields derive from `seed` and the order's index.
    /// Prices are 1..maxPrice, durations 0, 1 hour or 1 day, 0..`maxBenchmarks` benchmarks below
    /// 2^20 (the first below 2^63), 0..3 netflags, identity levels 0..1.
    /// @return firstId The id of the first order placed.
    function seed(uint256 count, uint256 seed_, uint256 maxPrice, uint256 maxBenchmarks)
        external
        returns (uint256 firstId)
    {
        firstId = market.ordersAmount() + 1;
        uint256 scratch;
        assembly ("memory-safe") {
            scratch := mload(0x40)
        }
        for (uint256 i = 0; i < count; i++) {
            // each order's arrays reuse the same memory: a growing memory would make a
            // transaction of tens of thousands of orders slow
            assembly ("memory-safe") {
                mstore(0x40, scratch)
            }
            uint256 r = uint256(keccak256(abi.encode(seed_, i)));
            bool[] memory netflags = new bool[](r % 4);
            for (uint256 k = 0; k < netflags.length; k++) {
                netflags[k] = (r >> (8 + k)) & 1 == 1;
            }
            uint64[] memory benchmarks = new uint64[]((r >> 16) % (maxBenchmarks + 1));
            for (uint256 k = 0; k < benchmarks.length; k++) {
                uint256 b = uint256(keccak256(abi.encode(r, k)));
                benchmarks[k] = k == 0 ? uint64(b % 2 ** 63) : uint64(b % 2 ** 20);
            }
            uint256 d = (r >> 32) % 3;
            market.placeOrder(
                uint8(1 + ((r >> 40) & 1)),
                address(0),
                d == 0 ? 0 : (d == 1 ? 1 hours : 1 days),
                1 + (r >> 64) % maxPrice,
                netflags,
                uint8((r >> 48) & 1),
                address(0),
                bytes32(r & 0xff),
                benchmarks
            );
        }
    }
}
