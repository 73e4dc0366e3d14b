//! Validated deserialization: a type with an invariant derives serde's impls as
//! `#[serde(remote = "Self")]` (inherent `serialize` / `deserialize` functions) and
//! [`validated_serde!`] turns them into the trait impls, the deserialized value passing the same
//! check as a constructed one, so that deserializing an invalid value is a serde error.

/// `validated_serde!(Type, |v: &Type| check(v))`: the `Serialize` and `Deserialize` impls of a
/// type deriving them with `#[serde(remote = "Self")]`, deserialization checked by the closure
/// (a [`crate::Result`]).
macro_rules! validated_serde {
    ($t:ty, $check:expr) => {
        #[cfg(feature = "serde")]
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                <$t>::serialize(self, serializer)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let value = <$t>::deserialize(deserializer)?;
                let check: fn(&$t) -> crate::error::Result<()> = $check;
                check(&value).map_err(serde::de::Error::custom)?;
                Ok(value)
            }
        }
    };
}
