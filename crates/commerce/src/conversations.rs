//! conversations (in progress)
