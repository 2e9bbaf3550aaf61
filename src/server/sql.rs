//! A small SQL builder for queries whose shape depends on filters: it numbers `$n` placeholders
//! (which both SQLite and PostgreSQL accept through the `Any` driver) and keeps the binds in
//! order. Only fixed SQL fragments are pushed; user input always goes through `bind`.

use serde::de::DeserializeOwned;
use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Any, Arguments, FromRow};

use crate::server::db::Backend;

/// A bound parameter.
#[derive(Debug, Clone)]
pub enum Param {
    /// An integer.
    Int(i64),
    /// A string.
    Text(String),
}

/// SQL text with numbered placeholders and their parameters.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    text: String,
    params: Vec<Param>,
}

impl Sql {
    /// Starts with a fixed fragment.
    pub fn new(fragment: &str) -> Self {
        Sql {
            text: fragment.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends a fixed fragment.
    pub fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// Appends a placeholder for `param`.
    pub fn bind(&mut self, param: Param) -> &mut Self {
        self.params.push(param);
        self.text.push_str(&format!("${}", self.params.len()));
        self
    }

    /// Appends `(p1, p2, …)` for the given integers.
    pub fn bind_list(&mut self, ids: &[i64]) -> &mut Self {
        self.push("(");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Param::Int(*id));
        }
        self.push(")")
    }

    /// Starts a query that answers in one row what would be many: `SELECT` of one JSON array
    /// holding, for each row of what follows (`FROM …`), the array of `columns`, in `order`;
    /// `[]` for none. Read it with [`Sql::fetch_json_rows`].
    ///
    /// For lists read on every page view: SQLite's driver hands each row of an answer from the
    /// connection's thread to the task that reads it, a thread wake-up per row, and the `Any`
    /// driver converts every row on arrival. Two hundred rows cost more in those hand-overs
    /// than the database takes to find them; one row of JSON costs one.
    pub fn json_rows(backend: Backend, columns: &str, order: &str) -> Self {
        Sql::new(&match backend {
            Backend::Sqlite => {
                format!("SELECT json_group_array(json_array({columns}) ORDER BY {order})")
            }
            Backend::Postgres => format!(
                "SELECT COALESCE(json_agg(json_build_array({columns}) ORDER BY {order}), '[]')::text"
            ),
        })
    }

    /// Runs a [`Sql::json_rows`] query: each row as a `T` (a tuple of the columns, in order).
    pub async fn fetch_json_rows<T: DeserializeOwned>(
        &self,
        pool: &sqlx::AnyPool,
    ) -> Result<Vec<T>, sqlx::Error> {
        let json: String = self.query_scalar().fetch_one(pool).await?;
        serde_json::from_str(&json).map_err(|error| sqlx::Error::Decode(Box::new(error)))
    }

    /// The SQL text.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn arguments(&self) -> AnyArguments<'_> {
        let mut args = AnyArguments::default();
        for param in &self.params {
            let added = match param {
                Param::Int(v) => args.add(*v),
                Param::Text(v) => args.add(v.as_str()),
            };
            added.expect("integers and strings always encode");
        }
        args
    }

    /// A query with every parameter bound.
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        sqlx::query_with(&self.text, self.arguments())
    }

    /// A typed query with every parameter bound.
    pub fn query_as<T>(&self) -> QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(&self.text, self.arguments())
    }

    /// A scalar query with every parameter bound.
    pub fn query_scalar<T>(&self) -> QueryScalar<'_, Any, T, AnyArguments<'_>>
    where
        (T,): for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar_with(&self.text, self.arguments())
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(Param::Int(1))
            .push(" AND b IN ")
            .bind_list(&[2, 3]);
        assert_eq!(sql.text(), "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }
}
