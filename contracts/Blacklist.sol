// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Blacklist registry
/// @notice Every address keeps its own list and edits it with `add`/`remove`. The market
/// contract may add entries on behalf of a party (`addFor`), which it does when a deal is
/// closed with `blacklistOther`; the owner sets the market address once (`setMarket`).
contract Blacklist {
    address public owner;
    address public market;
    mapping(address => mapping(address => bool)) public listed;

    event Added(address indexed owner, address indexed who);
    event Removed(address indexed owner, address indexed who);
    event MarketSet(address indexed market);

    error NotOwner(address caller);
    error NotMarket(address caller);
    error MarketAlreadySet(address market);
    error ZeroAddress();

    constructor() {
        owner = msg.sender;
    }

    /// @notice Sets the market allowed to call `addFor`; only once, by the owner.
    function setMarket(address newMarket) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        if (market != address(0)) revert MarketAlreadySet(market);
        if (newMarket == address(0)) revert ZeroAddress();
        market = newMarket;
        emit MarketSet(newMarket);
    }

    function add(address who) external {
        _add(msg.sender, who);
    }

    function remove(address who) external {
        if (listed[msg.sender][who]) {
            listed[msg.sender][who] = false;
            emit Removed(msg.sender, who);
        }
    }

    /// @notice Adds `who` to `listOwner`'s list; only the market may call it.
    function addFor(address listOwner, address who) external {
        if (msg.sender != market || market == address(0)) revert NotMarket(msg.sender);
        _add(listOwner, who);
    }

    function _add(address listOwner, address who) internal {
        if (!listed[listOwner][who]) {
            listed[listOwner][who] = true;
            emit Added(listOwner, who);
        }
    }
}
