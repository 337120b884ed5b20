// The node the tests run: `hardhat node` serves the network named "node".
// Chain id 31337 as the devnet's; the contracts are built for Shanghai
// (contracts/INTERFACE.md), so the node runs the oldest fork they promise;
// one block per transaction, as anvil's automine.
export default {
  networks: {
    node: {
      type: "edr-simulated",
      chainId: 31337,
      hardfork: "shanghai",
      mining: { auto: true, interval: 0 },
    },
  },
};
