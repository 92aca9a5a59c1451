//! A parsed Avro schema (fastavro's `parse_schema` form) compiled into a flat list of nodes.
//! Covers what `brokerage.codec.compiled` covers; anything else is refused (ValueError), and
//! the caller keeps the Python writer for that schema.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::collections::HashMap;

pub enum Node {
    Null,
    Boolean,
    Long,
    Str,
    Bytes,
    Enum {
        symbols: Vec<String>,
        py: Vec<Py<PyString>>,
    },
    /// Branches, each with the name fastavro tags its value with (`return_record_name`):
    /// an inline record's, or a named type's referred to by name.
    Union(Vec<(usize, Option<Py<PyString>>)>),
    Array(usize),
    Record(usize),
}

pub struct Field {
    pub name: Py<PyString>,
    pub default: Option<Py<PyAny>>,
    pub node: usize,
}

pub struct Record {
    pub fields: Vec<Field>,
}

/// The writer covers only unions of null and one other type, as compiled.py does.
pub fn null_union(
    branches: &[(usize, Option<Py<PyString>>)],
    nodes: &[Node],
) -> Option<(bool, usize)> {
    match branches {
        [(a, _), (b, _)] => match (&nodes[*a], &nodes[*b]) {
            (Node::Null, Node::Null) => None,
            (Node::Null, _) => Some((true, *b)),
            (_, Node::Null) => Some((false, *a)),
            _ => None,
        },
        _ => None,
    }
}

pub struct Compiler<'py> {
    named: HashMap<String, Bound<'py, PyAny>>,
    by_name: HashMap<String, usize>, // record name -> its node: compiled once
    pub nodes: Vec<Node>,
    pub records: Vec<Record>,
}

fn unsupported(what: String) -> PyErr {
    PyValueError::new_err(format!("unsupported: {what}"))
}

impl<'py> Compiler<'py> {
    pub fn new(named: HashMap<String, Bound<'py, PyAny>>) -> Self {
        Compiler {
            named,
            by_name: HashMap::new(),
            nodes: Vec::new(),
            records: Vec::new(),
        }
    }

    /// `schema` as fastavro's `parse_schema` returns it (named types under
    /// `__named_schemas`): the compiler's nodes and the root's.
    pub fn compile(schema: &Bound<'py, PyDict>) -> PyResult<(Self, usize)> {
        let named: HashMap<String, Bound<'py, PyAny>> = match schema.get_item("__named_schemas")? {
            Some(n) => n
                .cast::<PyDict>()?
                .iter()
                .map(|(k, v)| Ok((k.extract::<String>()?, v)))
                .collect::<PyResult<_>>()?,
            None => HashMap::new(),
        };
        let mut c = Compiler::new(named);
        let root = c.node(schema.as_any())?;
        Ok((c, root))
    }

    fn push(&mut self, n: Node) -> usize {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    pub fn node(&mut self, t: &Bound<'py, PyAny>) -> PyResult<usize> {
        if let Ok(s) = t.cast::<PyString>() {
            let s = s.to_str()?;
            if let Some(named) = self.named.get(s).cloned() {
                return self.node(&named);
            }
            return self.primitive(s);
        }
        if let Ok(branches) = t.cast::<PyList>() {
            return self.union(branches);
        }
        let d = t.cast::<PyDict>()?;
        let kind_obj = d
            .get_item("type")?
            .ok_or_else(|| unsupported(format!("{t}")))?;
        if kind_obj.cast::<PyString>().is_err() {
            return self.node(&kind_obj); // {"type": {...}} or {"type": [...]}
        }
        let kind: String = kind_obj.extract()?;
        match kind.as_str() {
            "enum" => {
                let symbols = d
                    .get_item("symbols")?
                    .ok_or_else(|| unsupported(kind.clone()))?;
                let symbols: Vec<String> = symbols.extract()?;
                let py = symbols
                    .iter()
                    .map(|s| PyString::intern(t.py(), s).unbind())
                    .collect();
                Ok(self.push(Node::Enum { symbols, py }))
            }
            "array" => {
                let items = d
                    .get_item("items")?
                    .ok_or_else(|| unsupported(kind.clone()))?;
                let item = self.node(&items)?;
                Ok(self.push(Node::Array(item)))
            }
            "record" | "error" => self.record(d),
            other => self.primitive(other),
        }
    }

    fn primitive(&mut self, kind: &str) -> PyResult<usize> {
        let n = match kind {
            "null" => Node::Null,
            "boolean" => Node::Boolean,
            "int" | "long" => Node::Long,
            "string" => Node::Str,
            "bytes" => Node::Bytes,
            other => return Err(unsupported(format!("type {other}"))),
        };
        Ok(self.push(n))
    }

    fn union(&mut self, branches: &Bound<'py, PyList>) -> PyResult<usize> {
        let mut out = Vec::with_capacity(branches.len());
        for b in branches.iter() {
            out.push((self.node(&b)?, self.tag(&b)?));
        }
        Ok(self.push(Node::Union(out)))
    }

    /// fastavro's tag for a union branch: an inline record's name, or a named type's.
    fn tag(&self, b: &Bound<'py, PyAny>) -> PyResult<Option<Py<PyString>>> {
        let named = if let Ok(s) = b.cast::<PyString>() {
            self.named.get(s.to_str()?)
        } else if let Ok(d) = b.cast::<PyDict>() {
            match d.get_item("type")? {
                Some(k) if k.extract::<String>().ok().as_deref() == Some("record") => Some(b),
                _ => None,
            }
        } else {
            None
        };
        match named {
            Some(n) => Ok(Some(n.get_item("name")?.cast_into::<PyString>()?.unbind())),
            None => Ok(None),
        }
    }

    fn record(&mut self, d: &Bound<'py, PyDict>) -> PyResult<usize> {
        let name: Option<String> = d.get_item("name")?.map(|n| n.extract()).transpose()?;
        if let Some(idx) = name.as_ref().and_then(|n| self.by_name.get(n)) {
            return Ok(*idx);
        }
        let r = self.records.len();
        self.records.push(Record { fields: Vec::new() });
        let idx = self.push(Node::Record(r));
        if let Some(n) = name {
            self.by_name.insert(n, idx);
        }
        let py = d.py();
        let fields = d
            .get_item("fields")?
            .ok_or_else(|| unsupported("record without fields".into()))?;
        let mut out = Vec::new();
        for f in fields.try_iter()? {
            let f = f?;
            let f = f.cast::<PyDict>()?;
            let name = f
                .get_item("name")?
                .ok_or_else(|| unsupported("field without name".into()))?;
            let name = PyString::intern(py, name.cast::<PyString>()?.to_str()?).unbind();
            let t = f
                .get_item("type")?
                .ok_or_else(|| unsupported("field without type".into()))?;
            let node = self.node(&t)?;
            let default = f.get_item("default")?.map(|v| v.unbind());
            out.push(Field {
                name,
                default,
                node,
            });
        }
        self.records[r].fields = out;
        Ok(idx)
    }
}
