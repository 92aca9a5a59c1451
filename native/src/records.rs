//! `evolve` for our slotted, frozen dataclasses: a copy with some fields changed. The slots
//! are copied by their offsets in the object, found by `slot_offsets` on a probe object
//! (each field set to a distinct sentinel, then looked for within the object's own size),
//! so nothing here assumes CPython's descriptor layouts. The Python `evolve`
//! (brokerage/domain/records.py) stays the reference and the fallback.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};
use std::collections::HashMap;

const HEAD: usize = std::mem::size_of::<ffi::PyObject>();
const WORD: usize = std::mem::size_of::<*mut ffi::PyObject>();

/// Where in `probe` (of `size` bytes) each of `sentinels` is stored: exactly one place each.
#[pyfunction]
pub fn slot_offsets(
    probe: &Bound<'_, PyAny>,
    sentinels: Vec<Bound<'_, PyAny>>,
    size: usize,
) -> PyResult<Vec<usize>> {
    if size < HEAD || !size.is_multiple_of(WORD) {
        return Err(PyValueError::new_err(format!(
            "an object size of {size} bytes"
        )));
    }
    let base = probe.as_ptr() as *const u8;
    let mut out = Vec::with_capacity(sentinels.len());
    for s in &sentinels {
        let want = s.as_ptr();
        // Within the object's own basic size: memory it owns, read as pointers, never followed.
        let found: Vec<usize> = (HEAD..size)
            .step_by(WORD)
            .filter(|off| unsafe { *(base.add(*off) as *const *mut ffi::PyObject) } == want)
            .collect();
        match found.as_slice() {
            [off] => out.push(*off),
            _ => {
                return Err(PyValueError::new_err(format!(
                    "a sentinel found {} times",
                    found.len()
                )))
            }
        }
    }
    Ok(out)
}

/// Every offset a whole pointer inside the class's instances, past the object header.
fn within(cls: &Bound<'_, PyType>, offsets: &[usize]) -> PyResult<()> {
    let size: usize = cls.getattr("__basicsize__")?.extract()?;
    if offsets.iter().any(|o| *o < HEAD || o + WORD > size) {
        return Err(PyValueError::new_err("offsets outside the object"));
    }
    Ok(())
}

/// Puts `v` (counted) in the slot at `off` of `dst`, then releases what was there.
///
/// # Safety
/// `dst` is an instance of a class whose slot is at `off` (checked by `within`).
unsafe fn store(dst: *mut u8, off: usize, v: &Bound<'_, PyAny>) {
    let slot = dst.add(off) as *mut *mut ffi::PyObject;
    let old = *slot;
    ffi::Py_IncRef(v.as_ptr());
    *slot = v.as_ptr();
    if !old.is_null() {
        ffi::Py_DecRef(old);
    }
}

#[pyclass(frozen, module = "brokerage_native")]
pub struct Copier {
    cls: Py<PyType>,
    new: Py<PyAny>, // object.__new__
    offsets: Vec<usize>,
    index: HashMap<String, usize>,
}

#[pymethods]
impl Copier {
    #[new]
    fn py_new(cls: Bound<'_, PyType>, names: Vec<String>, offsets: Vec<usize>) -> PyResult<Self> {
        let py = cls.py();
        if names.len() != offsets.len() {
            return Err(PyValueError::new_err("a name per offset"));
        }
        within(&cls, &offsets)?;
        let new = py
            .import("builtins")?
            .getattr("object")?
            .getattr("__new__")?
            .unbind();
        let index = names.into_iter().enumerate().map(|(i, n)| (n, i)).collect();
        Ok(Copier {
            cls: cls.unbind(),
            new,
            offsets,
            index,
        })
    }

    /// `obj` (exactly of the class) with `changes` (field name -> value).
    fn __call__(&self, obj: &Bound<'_, PyAny>, changes: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
        let py = obj.py();
        if !obj.get_type().is(self.cls.bind(py)) {
            return Err(PyTypeError::new_err("a copier serves one class"));
        }
        let mut sets = Vec::with_capacity(changes.len());
        for (k, v) in changes.iter() {
            let name = k.cast::<PyString>()?.to_str()?;
            match self.index.get(name) {
                Some(i) => sets.push((self.offsets[*i], v)),
                None => {
                    let cls = self.cls.bind(py).name()?;
                    return Err(PyTypeError::new_err(format!(
                        "{cls} has no field {{'{name}'}}"
                    )));
                }
            }
        }
        let new = self.new.call1(py, (self.cls.bind(py),))?;
        let (src, dst) = (obj.as_ptr() as *mut u8, new.as_ptr() as *mut u8);
        // SAFETY: both objects are of the class, whose slots are at these offsets (checked
        // against its size, and found by `slot_offsets` on an instance); the new object's
        // slots are still NULL. Each copied reference is counted.
        unsafe {
            for &off in &self.offsets {
                let p = *(src.add(off) as *mut *mut ffi::PyObject);
                if !p.is_null() {
                    ffi::Py_IncRef(p);
                }
                *(dst.add(off) as *mut *mut ffi::PyObject) = p;
            }
            for (off, v) in sets {
                store(dst, off, &v);
            }
        }
        Ok(new)
    }
}

/// A frozen dataclass's `__init__` body: its fields' values stored by their offsets, in
/// field order. A generated Python `__init__` binds the arguments (defaults, keywords) and
/// calls this once, instead of one `object.__setattr__` per field.
#[pyclass(frozen, module = "brokerage_native")]
pub struct Filler {
    cls: Py<PyType>,
    offsets: Vec<usize>,
}

#[pymethods]
impl Filler {
    #[new]
    fn py_new(cls: Bound<'_, PyType>, offsets: Vec<usize>) -> PyResult<Self> {
        within(&cls, &offsets)?;
        Ok(Filler {
            cls: cls.unbind(),
            offsets,
        })
    }

    /// Stores `values` (one per field) into `obj`, an instance of the class or a subclass
    /// (whose layout extends it).
    #[pyo3(signature = (obj, *values))]
    fn __call__(&self, obj: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<()> {
        if !obj.is_instance(self.cls.bind(obj.py()))? {
            return Err(PyTypeError::new_err("a filler serves one class"));
        }
        if values.len() != self.offsets.len() {
            return Err(PyTypeError::new_err(format!(
                "{} values for {} fields",
                values.len(),
                self.offsets.len()
            )));
        }
        let dst = obj.as_ptr() as *mut u8;
        // SAFETY: the object is an instance of the class, whose slots are at these offsets
        // (checked against its size, and found by `slot_offsets` on an instance). A value
        // already there (an `__init__` called again) is released after the new one is in.
        unsafe {
            for (&off, v) in self.offsets.iter().zip(values.iter()) {
                store(dst, off, &v);
            }
        }
        Ok(())
    }
}
