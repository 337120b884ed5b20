// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Profile registry
/// @notice Identity levels: 0 anonymous, 1 registered, 2 identified, 3 professional. Admins set
/// levels; the owner adds and removes admins (the owner is an admin from deployment).
contract ProfileRegistry {
    uint8 public constant MAX_LEVEL = 3;

    address public owner;
    mapping(address => bool) public isAdmin;
    mapping(address => uint8) public levelOf;

    event AdminAdded(address indexed admin);
    event AdminRemoved(address indexed admin);
    event LevelSet(address indexed who, uint8 level);

    error NotOwner(address caller);
    error NotAdmin(address caller);
    error LevelOutOfRange(uint8 level, uint8 max);

    constructor() {
        owner = msg.sender;
        isAdmin[msg.sender] = true;
        emit AdminAdded(msg.sender);
    }

    function addAdmin(address admin) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        isAdmin[admin] = true;
        emit AdminAdded(admin);
    }

    function removeAdmin(address admin) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        isAdmin[admin] = false;
        emit AdminRemoved(admin);
    }

    function setLevel(address who, uint8 level) external {
        if (!isAdmin[msg.sender]) revert NotAdmin(msg.sender);
        if (level > MAX_LEVEL) revert LevelOutOfRange(level, MAX_LEVEL);
        levelOf[who] = level;
        emit LevelSet(who, level);
    }
}
