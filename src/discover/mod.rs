//! Discovery: finding a person's relationships with companies in what they
//! already have, such as their own mail.

pub mod markup;
