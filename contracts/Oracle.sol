// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title USD oracle
/// @notice `rate()` is the number of token wei that buy 1 USD. USD amounts in the market are
/// USD x 1e18, so paying for `secs` seconds at `price` costs `price * secs * rate / 1e18` wei.
/// The rate is bounded (0 < rate <= MAX_RATE = 2^96) so that the market's arithmetic cannot
/// overflow (price <= 2^80, seconds < 2^64: the product stays below 2^240).
contract Oracle {
    uint256 public constant MAX_RATE = 2 ** 96;

    address public owner;
    uint256 public rate;

    event RateSet(uint256 rate);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner(address caller);
    error RateOutOfRange(uint256 rate, uint256 max);

    constructor(uint256 initialRate) {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        _setRate(initialRate);
    }

    function transferOwnership(address newOwner) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function setRate(uint256 newRate) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _setRate(newRate);
    }

    function _setRate(uint256 newRate) internal {
        if (newRate == 0 || newRate > MAX_RATE) revert RateOutOfRange(newRate, MAX_RATE);
        rate = newRate;
        emit RateSet(newRate);
    }
}
