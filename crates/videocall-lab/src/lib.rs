//! videocall's lab: what measures and attacks a call, kept apart from the product. The `bench`
//! runs and measures real calls, the `relay` impairs the network between two peers, `fuzz`
//! throws malformed datagrams at a call, and the `meters` stamp and read media in a peer.
//! It depends on `videocall-core`; the product never depends on it.

pub mod bench;
pub mod fuzz;
pub mod meters;
pub mod relay;
