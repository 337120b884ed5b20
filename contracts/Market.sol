// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Token} from "./Token.sol";
import {Blacklist} from "./Blacklist.sol";
import {ProfileRegistry} from "./ProfileRegistry.sol";
import {Oracle} from "./Oracle.sol";

/// @title SONM-model compute market
/// @notice Orders, deals, billing, change requests and worker binding. The matching rules are
/// those of DESIGN.md "The market rules", checked in that order; each failing rule reverts with
/// its own custom error carrying the values that failed.
///
/// Bounds (so that no later arithmetic can overflow): price <= MAX_PRICE (2^80 USD x 1e18 per
/// second), duration <= MAX_DURATION (10 years), benchmarks < 2^63, oracle rate <= 2^96. A payment
/// is `price * seconds * rate / 1e18` (rounded down) with seconds < 2^64, so it stays below 2^240.
///
/// Money flow: a BID locks the payment for its first period (min(duration, 1 day), or 1 hour for
/// spot) at placeOrder. openDeal re-locks that period at the deal price (the ASK's): the excess
/// goes back to the consumer, a shortfall (the oracle rate rose) is pulled from the consumer.
/// `bill` pays the elapsed time to the deal's payee (the master of the ASK author when the deal
/// opened) and locks the next period; when the consumer cannot pay, the payee gets what is locked
/// and the deal closes. Forward deals end at start + duration.
contract Market {
    // ---- constants -------------------------------------------------------------------------

    uint8 public constant ORDER_BID = 1;
    uint8 public constant ORDER_ASK = 2;
    uint8 public constant ORDER_INACTIVE = 1;
    uint8 public constant ORDER_ACTIVE = 2;
    uint8 public constant DEAL_ACCEPTED = 1;
    uint8 public constant DEAL_CLOSED = 2;
    uint8 public constant REQUEST_CREATED = 1;
    uint8 public constant REQUEST_CANCELED = 2;
    uint8 public constant REQUEST_REJECTED = 3;
    uint8 public constant REQUEST_ACCEPTED = 4;

    uint256 public constant MAX_PRICE = 2 ** 80;
    uint64 public constant MAX_DURATION = 10 * 365 days;
    uint64 public constant BENCHMARK_LIMIT = 2 ** 63;
    uint8 public constant MAX_IDENTITY_LEVEL = 3;
    uint256 public constant MAX_NETFLAGS = 64;
    uint64 public constant MAX_BILLING_PERIOD = 1 days;
    uint64 public constant SPOT_BILLING_PERIOD = 1 hours;

    // ---- types -----------------------------------------------------------------------------

    struct Order {
        uint8 orderType;
        uint8 status;
        address author;
        address counterparty;
        uint64 duration;
        uint256 price;
        bool[] netflags;
        uint8 identityLevel;
        address blacklist;
        bytes32 tag;
        uint64[] benchmarks;
        uint256 frozenSum;
        uint256 dealId;
    }

    struct Deal {
        uint256 askId;
        uint256 bidId;
        address supplier;
        address consumer;
        address master;
        uint64 duration;
        uint256 price;
        uint64 startTime;
        uint64 endTime;
        uint8 status;
        uint256 blockedBalance;
        uint256 totalPayout;
        uint64 lastBillTime;
    }

    struct ChangeRequest {
        uint256 dealId;
        uint8 requestType;
        uint256 price;
        uint64 duration;
        uint8 status;
    }

    // ---- events ----------------------------------------------------------------------------

    /// The whole order as placed (status ACTIVE, dealId 0), so that an indexer needs no read per
    /// order; packed to keep the log small (the indexer reads a million of them):
    /// `packed` = orderType | identityLevel << 8 | netflags.length << 16 | duration << 64
    /// | netflag bits << 128 (bit i = netflags[i]); `benchmarks` = 8 big-endian bytes per value.
    event OrderPlaced(
        uint256 indexed orderId,
        address indexed author,
        uint256 packed,
        address counterparty,
        uint256 price,
        address blacklist,
        bytes32 tag,
        uint256 frozenSum,
        bytes benchmarks
    );
    /// The fields that change after placement (cancel, deal), with their new values.
    event OrderUpdated(uint256 indexed orderId, uint8 status, uint256 frozenSum, uint256 dealId);
    /// The whole deal as opened, so that an indexer needs no read of state at an old block (any
    /// full node serves the index, no archive node).
    event DealOpened(uint256 indexed dealId, Deal deal);
    /// The whole deal after any change of it (billed, repriced, closed), once per transaction
    /// at the end of the change: the last one in a block is the deal's state at that block.
    event DealUpdated(uint256 indexed dealId, Deal deal);
    /// A payment; the deal's state after it follows in a `DealUpdated` of the same transaction.
    event Billed(uint256 indexed dealId, uint256 paidAmount);
    /// The whole change request as created.
    event DealChangeRequestSet(uint256 indexed changeRequestId, ChangeRequest request);
    /// The whole change request after a change of its status.
    event DealChangeRequestUpdated(uint256 indexed changeRequestId, ChangeRequest request);
    event WorkerAnnounced(address indexed worker, address indexed master);
    event WorkerConfirmed(address indexed worker, address indexed master);
    event WorkerRemoved(address indexed worker, address indexed master);

    // ---- errors: placeOrder bounds ---------------------------------------------------------

    error InvalidOrderType(uint8 orderType);
    error TooManyNetflags(uint256 length, uint256 max);
    error TooManyBenchmarks(uint256 length, uint256 max);
    error BenchmarkOutOfRange(uint256 index, uint64 value);
    error PriceOutOfRange(uint256 price, uint256 max);
    error DurationOutOfRange(uint64 duration, uint64 max);
    error IdentityLevelOutOfRange(uint8 level, uint8 max);
    /// The constructor's netflags quantity does not fit OrderPlaced's packed word.
    error NetflagsQuantityOutOfRange(uint256 quantity, uint256 max);
    error NotOrderAuthor(uint256 orderId, address caller);

    // ---- errors: the matching rules, in DESIGN order ---------------------------------------

    /// Rule 1: an order is unknown, cancelled or already taken.
    error OrderNotActive(uint256 orderId);
    /// Rule 1: the ASK is not an ASK or the BID is not a BID.
    error OrderTypeMismatch(uint256 orderId, uint8 expected, uint8 actual);
    /// Rule 2: `orderId`'s counterparty is set and differs from the other side's master.
    error CounterpartyMismatch(uint256 orderId, address counterparty, address actual);
    /// Rule 3: `who` is in `owner`'s list.
    error Blacklisted(address owner, address who);
    /// Rule 4.
    error PriceTooHigh(uint256 askPrice, uint256 bidPrice);
    /// Rule 4.
    error DurationTooShort(uint64 ask, uint64 bid);
    /// Rule 5: `who` has `level` but the other order requires `required`.
    error IdentityTooLow(address who, uint8 level, uint8 required);
    /// Rule 6: the BID needs netflag `index` and the ASK does not offer it.
    error NetflagMissing(uint256 index);
    /// Rule 7.
    error BenchmarkTooLow(uint256 index, uint64 ask, uint64 bid);

    // ---- errors: deals ---------------------------------------------------------------------

    error DealNotActive(uint256 dealId);
    error NotDealParty(uint256 dealId, address caller);
    error DealNotEnded(uint256 dealId, uint64 endTime);
    error InvalidChangeDuration(uint256 dealId, uint64 duration);
    error ChangeRequestNotActive(uint256 changeRequestId);

    // ---- errors: workers (one hop) ---------------------------------------------------------

    error SelfMaster(address who);
    error AlreadyWorker(address worker, address master);
    error HasWorkers(address who);
    error MasterIsWorker(address master);
    error NoPendingWorker(address worker, address master);
    error NotWorkerOf(address worker, address master);
    error NotWorkerOrMaster(address caller);

    // ---- state -----------------------------------------------------------------------------

    Token public immutable token;
    Blacklist public immutable blacklist;
    ProfileRegistry public immutable profiles;
    Oracle public immutable oracle;
    uint256 public immutable benchmarksQuantity;
    uint256 public immutable netflagsQuantity;

    uint256 public ordersAmount;
    uint256 public dealsAmount;
    uint256 public changeRequestsAmount;

    mapping(uint256 => Order) internal _orders;
    mapping(uint256 => Deal) internal _deals;
    mapping(uint256 => ChangeRequest) internal _requests;
    /// dealId => requestType (1 consumer side, 2 supplier side) => pending change request id
    mapping(uint256 => mapping(uint8 => uint256)) public pendingChangeRequest;

    uint256[] internal _active;
    mapping(uint256 => uint256) internal _activeIndex; // position + 1

    mapping(address => address) internal _masters; // confirmed
    mapping(address => address) public pendingMasterOf;
    mapping(address => uint256) public workersAmount;

    constructor(
        Token token_,
        Blacklist blacklist_,
        ProfileRegistry profiles_,
        Oracle oracle_,
        uint256 benchmarksQuantity_,
        uint256 netflagsQuantity_
    ) {
        token = token_;
        blacklist = blacklist_;
        profiles = profiles_;
        oracle = oracle_;
        if (netflagsQuantity_ > MAX_NETFLAGS) revert NetflagsQuantityOutOfRange(netflagsQuantity_, MAX_NETFLAGS);
        benchmarksQuantity = benchmarksQuantity_;
        netflagsQuantity = netflagsQuantity_;
    }

    // ---- orders ----------------------------------------------------------------------------

    function placeOrder(
        uint8 orderType,
        address counterparty,
        uint64 duration,
        uint256 price,
        bool[] calldata netflags,
        uint8 identityLevel,
        address blacklist_,
        bytes32 tag,
        uint64[] calldata benchmarks
    ) external returns (uint256 orderId) {
        return _placeOrder(
            msg.sender, orderType, counterparty, duration, price, netflags, identityLevel, blacklist_, tag, benchmarks
        );
    }

    function cancelOrder(uint256 orderId) external {
        Order storage order = _orders[orderId];
        if (order.status != ORDER_ACTIVE) revert OrderNotActive(orderId);
        if (order.author != msg.sender) revert NotOrderAuthor(orderId, msg.sender);
        order.status = ORDER_INACTIVE;
        _removeActive(orderId);
        uint256 frozen = order.frozenSum;
        if (frozen > 0) {
            order.frozenSum = 0;
            token.transfer(order.author, frozen);
        }
        emit OrderUpdated(orderId, ORDER_INACTIVE, 0, 0);
    }

    /// @notice Places a BID that takes `askId` (same price, netflags, benchmarks and tag,
    /// counterparty = the ASK author's master) and opens the deal.
    function quickBuy(uint256 askId, uint64 duration) external returns (uint256 dealId) {
        Order storage ask = _orders[askId];
        if (ask.status != ORDER_ACTIVE) revert OrderNotActive(askId);
        if (ask.orderType != ORDER_ASK) revert OrderTypeMismatch(askId, ORDER_ASK, ask.orderType);
        uint256 bidId = _placeOrder(
            msg.sender,
            ORDER_BID,
            masterOf(ask.author),
            duration,
            ask.price,
            ask.netflags,
            0,
            address(0),
            ask.tag,
            ask.benchmarks
        );
        return _openDeal(askId, bidId);
    }

    function getOrder(uint256 orderId) external view returns (Order memory) {
        return _orders[orderId];
    }

    function activeOrdersAmount() external view returns (uint256) {
        return _active.length;
    }

    /// @notice A page of the active orders (in no particular order; the set changes as orders are
    /// placed and taken).
    function getActiveOrders(uint256 offset, uint256 limit)
        external
        view
        returns (uint256[] memory ids, Order[] memory orders)
    {
        uint256 total = _active.length;
        uint256 end = offset >= total ? offset : (limit > total - offset ? total : offset + limit);
        uint256 n = end - offset;
        ids = new uint256[](n);
        orders = new Order[](n);
        for (uint256 i = 0; i < n; i++) {
            uint256 id = _active[offset + i];
            ids[i] = id;
            orders[i] = _orders[id];
        }
    }

    // ---- deals -----------------------------------------------------------------------------

    function openDeal(uint256 askId, uint256 bidId) external returns (uint256 dealId) {
        return _openDeal(askId, bidId);
    }

    /// @notice Reverts with the custom error of the first failing matching rule, as openDeal would.
    function checkMatch(uint256 askId, uint256 bidId) external view {
        _checkMatch(askId, bidId);
    }

    function bill(uint256 dealId) external {
        Deal storage deal = _deals[dealId];
        if (deal.status != DEAL_ACCEPTED) revert DealNotActive(dealId);
        (bool paidInFull, uint64 billedTo) = _settle(dealId, deal);
        if (!paidInFull || (deal.duration != 0 && billedTo == deal.endTime)) {
            _finish(dealId, deal, billedTo);
            return;
        }
        uint64 period = deal.duration == 0 ? SPOT_BILLING_PERIOD : _min64(MAX_BILLING_PERIOD, deal.endTime - billedTo);
        uint256 need = _cost(deal.price, period);
        uint256 blocked = deal.blockedBalance;
        if (need > blocked) {
            if (!_tryPull(deal.consumer, need - blocked)) {
                _finish(dealId, deal, billedTo);
                return;
            }
            deal.blockedBalance = need;
        }
        emit DealUpdated(dealId, deal);
    }

    function closeDeal(uint256 dealId, bool blacklistOther) external {
        Deal storage deal = _deals[dealId];
        if (deal.status != DEAL_ACCEPTED) revert DealNotActive(dealId);
        bool isConsumer = msg.sender == deal.consumer;
        if (!isConsumer) {
            if (msg.sender != deal.supplier && msg.sender != deal.master) revert NotDealParty(dealId, msg.sender);
            if (deal.duration != 0 && block.timestamp < deal.endTime) revert DealNotEnded(dealId, deal.endTime);
        }
        (, uint64 billedTo) = _settle(dealId, deal);
        _finish(dealId, deal, billedTo);
        if (blacklistOther) {
            if (isConsumer) blacklist.addFor(msg.sender, deal.master);
            else blacklist.addFor(msg.sender, deal.consumer);
        }
    }

    function getDeal(uint256 dealId) external view returns (Deal memory) {
        return _deals[dealId];
    }

    // ---- change requests -------------------------------------------------------------------

    /// @notice Proposes a new price and duration for a deal. When the other side has a pending
    /// request with the same values, the change applies at once (after billing at the old price).
    /// Spot deals keep duration 0; a forward deal's new duration may not end it in the past.
    function createChangeRequest(uint256 dealId, uint256 newPrice, uint64 newDuration)
        external
        returns (uint256 changeRequestId)
    {
        Deal storage deal = _deals[dealId];
        if (deal.status != DEAL_ACCEPTED) revert DealNotActive(dealId);
        uint8 side = _sideOf(deal, msg.sender);
        if (side == 0) revert NotDealParty(dealId, msg.sender);
        if (newPrice > MAX_PRICE) revert PriceOutOfRange(newPrice, MAX_PRICE);
        if (deal.duration == 0) {
            if (newDuration != 0) revert InvalidChangeDuration(dealId, newDuration);
        } else if (
            newDuration == 0 || newDuration > MAX_DURATION || uint256(deal.startTime) + newDuration < block.timestamp
        ) {
            revert InvalidChangeDuration(dealId, newDuration);
        }

        uint256 previous = pendingChangeRequest[dealId][side];
        if (previous != 0) {
            _requests[previous].status = REQUEST_CANCELED;
            emit DealChangeRequestUpdated(previous, _requests[previous]);
        }
        changeRequestId = ++changeRequestsAmount;
        _requests[changeRequestId] = ChangeRequest(dealId, side, newPrice, newDuration, REQUEST_CREATED);
        pendingChangeRequest[dealId][side] = changeRequestId;
        emit DealChangeRequestSet(changeRequestId, _requests[changeRequestId]);

        uint8 otherSide = side == ORDER_BID ? ORDER_ASK : ORDER_BID;
        uint256 otherId = pendingChangeRequest[dealId][otherSide];
        if (otherId == 0) return changeRequestId;
        ChangeRequest storage other = _requests[otherId];
        if (other.price != newPrice || other.duration != newDuration) return changeRequestId;

        (bool paidInFull, uint64 billedTo) = _settle(dealId, deal);
        if (!paidInFull || (deal.duration != 0 && billedTo == deal.endTime)) {
            _finish(dealId, deal, billedTo);
            return changeRequestId;
        }
        deal.price = newPrice;
        if (deal.duration != 0) {
            deal.duration = newDuration;
            deal.endTime = deal.startTime + newDuration;
        }
        other.status = REQUEST_ACCEPTED;
        _requests[changeRequestId].status = REQUEST_ACCEPTED;
        delete pendingChangeRequest[dealId][ORDER_BID];
        delete pendingChangeRequest[dealId][ORDER_ASK];
        emit DealChangeRequestUpdated(otherId, other);
        emit DealChangeRequestUpdated(changeRequestId, _requests[changeRequestId]);
        emit DealUpdated(dealId, deal);
    }

    /// @notice Withdraws (its author) or rejects (the other side) a pending change request.
    function cancelChangeRequest(uint256 changeRequestId) external {
        ChangeRequest storage request = _requests[changeRequestId];
        if (request.status != REQUEST_CREATED) revert ChangeRequestNotActive(changeRequestId);
        uint256 dealId = request.dealId;
        uint8 side = _sideOf(_deals[dealId], msg.sender);
        if (side == 0) revert NotDealParty(dealId, msg.sender);
        request.status = side == request.requestType ? REQUEST_CANCELED : REQUEST_REJECTED;
        delete pendingChangeRequest[dealId][request.requestType];
        emit DealChangeRequestUpdated(changeRequestId, request);
    }

    function getChangeRequest(uint256 changeRequestId) external view returns (ChangeRequest memory) {
        return _requests[changeRequestId];
    }

    // ---- workers ---------------------------------------------------------------------------

    /// @notice The caller asks to become a worker of `master`; `master` confirms with
    /// confirmWorker. A pending request may be replaced; a confirmed worker must be removed first.
    function registerWorker(address master) external {
        address worker = msg.sender;
        if (master == worker) revert SelfMaster(worker);
        address current = _masters[worker];
        if (current != address(0)) revert AlreadyWorker(worker, current);
        if (workersAmount[worker] != 0) revert HasWorkers(worker);
        if (_masters[master] != address(0)) revert MasterIsWorker(master);
        pendingMasterOf[worker] = master;
        emit WorkerAnnounced(worker, master);
    }

    function confirmWorker(address worker) external {
        address master = msg.sender;
        if (pendingMasterOf[worker] != master) revert NoPendingWorker(worker, master);
        if (workersAmount[worker] != 0) revert HasWorkers(worker);
        if (_masters[master] != address(0)) revert MasterIsWorker(master);
        delete pendingMasterOf[worker];
        _masters[worker] = master;
        workersAmount[master] += 1;
        emit WorkerConfirmed(worker, master);
    }

    /// @notice Removes a confirmed binding or a pending request; either side may call it.
    function removeWorker(address worker, address master) external {
        if (msg.sender != worker && msg.sender != master) revert NotWorkerOrMaster(msg.sender);
        if (_masters[worker] == master && master != address(0)) {
            delete _masters[worker];
            workersAmount[master] -= 1;
        } else if (pendingMasterOf[worker] == master && master != address(0)) {
            delete pendingMasterOf[worker];
        } else {
            revert NotWorkerOf(worker, master);
        }
        emit WorkerRemoved(worker, master);
    }

    /// @notice `who`'s confirmed master, or `who` itself.
    function masterOf(address who) public view returns (address) {
        address master = _masters[who];
        return master == address(0) ? who : master;
    }

    // ---- internals -------------------------------------------------------------------------

    function _placeOrder(
        address author,
        uint8 orderType,
        address counterparty,
        uint64 duration,
        uint256 price,
        bool[] memory netflags,
        uint8 identityLevel,
        address blacklist_,
        bytes32 tag,
        uint64[] memory benchmarks
    ) internal returns (uint256 orderId) {
        if (orderType != ORDER_BID && orderType != ORDER_ASK) revert InvalidOrderType(orderType);
        if (netflags.length > netflagsQuantity) revert TooManyNetflags(netflags.length, netflagsQuantity);
        if (benchmarks.length > benchmarksQuantity) revert TooManyBenchmarks(benchmarks.length, benchmarksQuantity);
        for (uint256 i = 0; i < benchmarks.length; i++) {
            if (benchmarks[i] >= BENCHMARK_LIMIT) revert BenchmarkOutOfRange(i, benchmarks[i]);
        }
        if (price > MAX_PRICE) revert PriceOutOfRange(price, MAX_PRICE);
        if (duration > MAX_DURATION) revert DurationOutOfRange(duration, MAX_DURATION);
        if (identityLevel > MAX_IDENTITY_LEVEL) revert IdentityLevelOutOfRange(identityLevel, MAX_IDENTITY_LEVEL);

        uint256 frozen = 0;
        if (orderType == ORDER_BID) {
            frozen = _cost(price, _firstPeriod(duration));
            if (frozen > 0) token.transferFrom(author, address(this), frozen);
        }

        orderId = ++ordersAmount;
        Order storage order = _orders[orderId];
        order.orderType = orderType;
        order.status = ORDER_ACTIVE;
        order.author = author;
        order.counterparty = counterparty;
        order.duration = duration;
        order.price = price;
        order.netflags = netflags;
        order.identityLevel = identityLevel;
        order.blacklist = blacklist_;
        order.tag = tag;
        order.benchmarks = benchmarks;
        order.frozenSum = frozen;
        _active.push(orderId);
        _activeIndex[orderId] = _active.length;
        emit OrderPlaced(
            orderId,
            author,
            _packOrder(orderType, identityLevel, netflags, duration),
            counterparty,
            price,
            blacklist_,
            tag,
            frozen,
            _packBenchmarks(benchmarks)
        );
    }

    function _packOrder(uint8 orderType, uint8 identityLevel, bool[] memory netflags, uint64 duration)
        internal
        pure
        returns (uint256 packed)
    {
        packed = uint256(orderType) | (uint256(identityLevel) << 8) | (netflags.length << 16)
            | (uint256(duration) << 64);
        for (uint256 i = 0; i < netflags.length; i++) {
            if (netflags[i]) packed |= 1 << (128 + i);
        }
    }

    function _packBenchmarks(uint64[] memory benchmarks) internal pure returns (bytes memory packed) {
        uint256 n = benchmarks.length;
        packed = new bytes(n * 8);
        for (uint256 i = 0; i < n; i++) {
            uint256 v = benchmarks[i];
            // big-endian 8 bytes at 8 * i; the write's spill past them is overwritten by the next
            // value, and the ABI encoder pads the last word with zeros
            assembly ("memory-safe") {
                let at := add(add(packed, 32), mul(i, 8))
                mstore(at, or(shl(192, v), and(mload(at), sub(shl(192, 1), 1))))
            }
        }
    }

    function _openDeal(uint256 askId, uint256 bidId) internal returns (uint256 dealId) {
        _checkMatch(askId, bidId);
        Order storage ask = _orders[askId];
        Order storage bid = _orders[bidId];

        dealId = ++dealsAmount;
        ask.status = ORDER_INACTIVE;
        bid.status = ORDER_INACTIVE;
        ask.dealId = dealId;
        bid.dealId = dealId;
        _removeActive(askId);
        _removeActive(bidId);

        address consumer = bid.author;
        uint64 duration = bid.duration;
        uint256 price = ask.price;
        uint256 need = _cost(price, _firstPeriod(duration));
        uint256 frozen = bid.frozenSum;
        bid.frozenSum = 0;
        if (frozen > need) {
            token.transfer(consumer, frozen - need);
        } else if (need > frozen) {
            token.transferFrom(consumer, address(this), need - frozen);
        }

        uint64 now_ = uint64(block.timestamp);
        Deal storage deal = _deals[dealId];
        deal.askId = askId;
        deal.bidId = bidId;
        deal.supplier = ask.author;
        deal.consumer = consumer;
        deal.master = masterOf(ask.author);
        deal.duration = duration;
        deal.price = price;
        deal.startTime = now_;
        deal.endTime = duration == 0 ? 0 : now_ + duration;
        deal.status = DEAL_ACCEPTED;
        deal.blockedBalance = need;
        deal.lastBillTime = now_;

        emit OrderUpdated(askId, ORDER_INACTIVE, ask.frozenSum, dealId);
        emit OrderUpdated(bidId, ORDER_INACTIVE, 0, dealId);
        emit DealOpened(dealId, deal);
    }

    function _checkMatch(uint256 askId, uint256 bidId) internal view {
        Order storage ask = _orders[askId];
        Order storage bid = _orders[bidId];

        // Rule 1
        if (ask.status != ORDER_ACTIVE) revert OrderNotActive(askId);
        if (bid.status != ORDER_ACTIVE) revert OrderNotActive(bidId);
        if (ask.orderType != ORDER_ASK) revert OrderTypeMismatch(askId, ORDER_ASK, ask.orderType);
        if (bid.orderType != ORDER_BID) revert OrderTypeMismatch(bidId, ORDER_BID, bid.orderType);

        address askAuthor = ask.author;
        address bidAuthor = bid.author;
        address askMaster = masterOf(askAuthor);

        // Rule 2
        address bidMaster = masterOf(bidAuthor);
        if (ask.counterparty != address(0) && ask.counterparty != bidMaster) {
            revert CounterpartyMismatch(askId, ask.counterparty, bidMaster);
        }
        if (bid.counterparty != address(0) && bid.counterparty != askMaster) {
            revert CounterpartyMismatch(bidId, bid.counterparty, askMaster);
        }

        // Rule 3
        _checkListed(bid.blacklist, askMaster);
        _checkListed(bid.blacklist, askAuthor);
        _checkListed(bidAuthor, askMaster);
        _checkListed(bidAuthor, askAuthor);
        _checkListed(ask.blacklist, bidAuthor);
        _checkListed(askMaster, bidAuthor);
        _checkListed(askAuthor, bidAuthor);

        // Rule 4
        if (ask.price > bid.price) revert PriceTooHigh(ask.price, bid.price);
        if (ask.duration < bid.duration) revert DurationTooShort(ask.duration, bid.duration);

        // Rule 5
        uint8 bidLevel = profiles.levelOf(bidAuthor);
        if (bidLevel < ask.identityLevel) revert IdentityTooLow(bidAuthor, bidLevel, ask.identityLevel);
        uint8 askLevel = profiles.levelOf(askAuthor);
        if (askLevel < bid.identityLevel) revert IdentityTooLow(askAuthor, askLevel, bid.identityLevel);

        // Rule 6: flags the BID needs beyond the ASK's array count as missing.
        uint256 askFlags = ask.netflags.length;
        uint256 bidFlags = bid.netflags.length;
        for (uint256 i = 0; i < bidFlags; i++) {
            if (bid.netflags[i] && (i >= askFlags || !ask.netflags[i])) revert NetflagMissing(i);
        }

        // Rule 7: missing values are 0, so only the BID's entries can fail.
        uint256 askBench = ask.benchmarks.length;
        uint256 bidBench = bid.benchmarks.length;
        for (uint256 i = 0; i < bidBench; i++) {
            uint64 want = bid.benchmarks[i];
            uint64 have = i < askBench ? ask.benchmarks[i] : 0;
            if (have < want) revert BenchmarkTooLow(i, have, want);
        }
    }

    function _checkListed(address owner, address who) internal view {
        if (owner != address(0) && blacklist.listed(owner, who)) revert Blacklisted(owner, who);
    }

    /// Pays the payee for the time since the last bill (up to the end of a forward deal). When
    /// the lock does not cover it and the consumer cannot pay the rest, pays what is locked.
    function _settle(uint256 dealId, Deal storage deal) internal returns (bool paidInFull, uint64 billedTo) {
        billedTo = uint64(block.timestamp);
        if (deal.duration != 0 && billedTo > deal.endTime) billedTo = deal.endTime;
        uint256 owed = _cost(deal.price, billedTo - deal.lastBillTime);
        uint256 blocked = deal.blockedBalance;
        paidInFull = true;
        if (owed > blocked) {
            if (_tryPull(deal.consumer, owed - blocked)) {
                blocked = owed;
            } else {
                owed = blocked;
                paidInFull = false;
            }
        }
        deal.blockedBalance = blocked - owed;
        deal.lastBillTime = billedTo;
        if (owed > 0) {
            deal.totalPayout += owed;
            token.transfer(deal.master, owed);
        }
        emit Billed(dealId, owed);
    }

    /// Closes a deal: refunds what is still locked to the consumer.
    function _finish(uint256 dealId, Deal storage deal, uint64 endTime) internal {
        uint256 blocked = deal.blockedBalance;
        deal.blockedBalance = 0;
        deal.status = DEAL_CLOSED;
        deal.endTime = endTime;
        if (blocked > 0) token.transfer(deal.consumer, blocked);
        emit DealUpdated(dealId, deal);
    }

    function _tryPull(address from, uint256 amount) internal returns (bool) {
        if (token.balanceOf(from) < amount || token.allowance(from, address(this)) < amount) return false;
        token.transferFrom(from, address(this), amount);
        return true;
    }

    function _removeActive(uint256 orderId) internal {
        uint256 position = _activeIndex[orderId];
        if (position == 0) return;
        uint256 last = _active[_active.length - 1];
        _active[position - 1] = last;
        _activeIndex[last] = position;
        _active.pop();
        delete _activeIndex[orderId];
    }

    function _sideOf(Deal storage deal, address who) internal view returns (uint8) {
        if (who == deal.consumer) return ORDER_BID;
        if (who == deal.supplier || who == deal.master) return ORDER_ASK;
        return 0;
    }

    function _cost(uint256 price, uint256 secs) internal view returns (uint256) {
        return price * secs * oracle.rate() / 1e18;
    }

    function _firstPeriod(uint64 duration) internal pure returns (uint64) {
        return duration == 0 ? SPOT_BILLING_PERIOD : _min64(duration, MAX_BILLING_PERIOD);
    }

    function _min64(uint64 a, uint64 b) internal pure returns (uint64) {
        return a < b ? a : b;
    }
}
