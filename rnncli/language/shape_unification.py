"""Shape inference: every quantity's, input's and parameter's shape from the equations.

Sizes flow from parameter values, inputs, initial values and `sizes` through
the equations by unification, so a sizes-only problem (no numbers at all)
still gets every parameter's shape, and each dimension remembers the size it
came from (`H`, `I`) for the formulas of `count-params`.

Rules (docs/equations.md): `+ - * / **` need equal shapes, and a scalar
combines with anything; `A @ v` is matrix times column vector, `v @ M` row
vector times matrix, and `@` with a scalar is scalar multiplication, except
that a scalar is a vector of one entry against a matrix of inner size 1; `[a, b]`
concatenates vectors (a scalar counts as one entry). A parameter of unknown
shape takes the shape its use demands.
"""
from __future__ import annotations

from rnncli.errors import ShapeError
from rnncli.language.expression import BinOp, Call, Concat, Name, Neg, Node, Number, Step

MAX_PASSES = 50


class Dim:
    """One dimension, unified with others; `value` and `label` live on the root."""

    __slots__ = ("parent", "value", "label")

    def __init__(self, value: int | None = None, label: str | None = None):
        self.parent = self
        self.value = value
        self.label = label

    def root(self) -> "Dim":
        node = self
        while node.parent is not node:
            node.parent = node.parent.parent
            node = node.parent
        return node

    def __repr__(self) -> str:
        root = self.root()
        return str(root.value) if root.value is not None else (root.label or "?")


class Slot:
    """The shape of one name or sub-expression: unknown (dims None) or a tuple of Dims."""

    __slots__ = ("parent", "dims")

    def __init__(self, dims: tuple | None = None):
        self.parent = self
        self.dims = dims

    def root(self) -> "Slot":
        node = self
        while node.parent is not node:
            node.parent = node.parent.parent
            node = node.parent
        return node

    def known(self) -> tuple | None:
        return self.root().dims


def show(slot_or_dims) -> str:
    """Returns a shape as users read it: (4, 3), (4,) or scalar."""
    dims = slot_or_dims.known() if isinstance(slot_or_dims, Slot) else slot_or_dims
    if dims is None:
        return "unknown"
    if not dims:
        return "scalar"
    text = ", ".join(repr(d) for d in dims)
    return f"({text},)" if len(dims) == 1 else f"({text})"


class ShapeMismatch(Exception):
    """Raised inside unification; turned into a ShapeError naming the equation."""


def unify_dims(a: Dim, b: Dim) -> bool:
    """Merges two dimensions; returns whether anything changed."""
    ra, rb = a.root(), b.root()
    if ra is rb:
        return False
    if ra.value is not None and rb.value is not None and ra.value != rb.value:
        raise ShapeMismatch()
    rb.parent = ra
    if ra.value is None:
        ra.value = rb.value
    if ra.label is None:
        ra.label = rb.label
    return True


def unify(a: Slot, b: Slot) -> bool:
    """Makes two shapes one; returns whether anything changed."""
    ra, rb = a.root(), b.root()
    if ra is rb:
        return False
    da, db = ra.dims, rb.dims
    if da is not None and db is not None:
        if len(da) != len(db):
            # A scalar is a vector of one entry (`sizes: {x: 1}` with scalar values).
            short, long_ = (da, db) if len(da) < len(db) else (db, da)
            if not short and len(long_) == 1 and long_[0].root().value in (None, 1):
                long_[0].root().value = 1
                ra.dims = ()
                rb.parent = ra
                return True
            raise ShapeMismatch()
        changed = False
        for x, y in zip(da, db):
            changed = unify_dims(x, y) or changed
        rb.parent = ra
        return changed
    rb.parent = ra
    if da is None:
        ra.dims = db
    # News only when one side learnt a shape; two unknowns linked learn nothing yet.
    return (da is None) != (db is None)


def fresh_dims(rank: int) -> tuple:
    return tuple(Dim() for _ in range(rank))


def slot_of_shape(shape: tuple, label: str | None = None) -> Slot:
    """Returns a known Slot for a concrete numpy shape."""
    return Slot(tuple(Dim(n, label if len(shape) == 1 else None) for n in shape))


def concrete(slot: Slot) -> tuple | None:
    """Returns the shape as a tuple of ints, or None while anything is unknown."""
    dims = slot.known()
    if dims is None:
        return None
    values = tuple(d.root().value for d in dims)
    return None if any(v is None for v in values) else values


class Inference:
    """Runs the unification passes over a cell's equations."""

    def __init__(self, slots: dict, printer):
        self.slots = slots          # name -> Slot, for every quantity, input and parameter
        self.printer = printer      # node -> text, for error messages
        self.changed = False
        self.concat_results: dict[int, Slot] = {}
        # (the concatenation's dimension, its label then, its parts): a part is the
        # Dim of a vector, or the name of a scalar (None for a number).
        self.concat_parts: list[tuple] = []

    def slot(self, name: str) -> Slot:
        if name not in self.slots:
            self.slots[name] = Slot()
        return self.slots[name]

    def run(self, equations) -> None:
        """Unifies until nothing changes; `equations` is a list of (name, node)."""
        for _ in range(MAX_PASSES):
            self.changed = False
            for name, node in equations:
                self.equation = name
                result = self.infer(node)
                self.merge(self.slot(name), result, node, f"the value of `{name}`")
            if not self.changed:
                return

    def merge(self, a: Slot, b: Slot, node: Node, what: str) -> None:
        try:
            if unify(a, b):
                self.changed = True
        except ShapeMismatch:
            raise ShapeError(f"equation `{self.equation}`: `{self.printer(node)}` has shape "
                             f"{show(b)} but {what} has shape {show(a)}",
                             equation=self.equation) from None

    def infer(self, node: Node) -> Slot:
        if isinstance(node, Number):
            return Slot(())
        if isinstance(node, (Name, Step)):
            return self.slot(node.name)
        if isinstance(node, Neg):
            return self.infer(node.operand)
        if isinstance(node, Call):
            slots = [self.infer(arg) for arg in node.args]
            if node.function in ("sum", "mean"):   # reductions: a number
                return Slot(())
            return slots[0]
        if isinstance(node, Concat):
            return self.concat(node)
        if isinstance(node, BinOp):
            left, right = self.infer(node.left), self.infer(node.right)
            if node.op == "@":
                return self.matmul(node, left, right)
            return self.elementwise(node, left, right)
        raise TypeError(node)

    def mismatch(self, node: BinOp, left: Slot, right: Slot, hint: str = ""):
        raise ShapeError(f"equation `{self.equation}`: `{self.printer(node)}`: shapes "
                         f"{show(left)} and {show(right)} do not fit for `{node.op}`{hint}",
                         equation=self.equation)

    def elementwise(self, node: BinOp, left: Slot, right: Slot) -> Slot:
        dl, dr = left.known(), right.known()
        if dl == ():
            return right
        if dr == ():
            return left
        if node.op == "**" and isinstance(node.right, Number):
            return left
        if dl is not None and dr is not None and len(dl) != len(dr):
            hint = ""
            if node.op == "*" and {len(dl), len(dr)} == {1, 2}:
                hint = " (did you mean `@`, the matrix product?)"
            self.mismatch(node, left, right, hint)
        try:
            if unify(left, right):
                self.changed = True
        except ShapeMismatch:
            self.mismatch(node, left, right)
        return left

    def matmul(self, node: BinOp, left: Slot, right: Slot) -> Slot:
        dl, dr = left.known(), right.known()
        # A scalar is a vector of one entry where a matrix expects one: W (H, 1) @ x
        # with a number x is W's column times x, a vector (H,), as trace evaluates it.
        if dr == () and dl is not None and len(dl) == 2 and dl[1].root().value == 1:
            return Slot((dl[0],))
        if dl == () and dr is not None and len(dr) == 2 and dr[0].root().value == 1:
            return Slot((dr[1],))
        if dl == () or dr == ():
            return right if dl == () else left
        if dl is None and dr is None:
            return Slot()
        if dl is None:
            if len(dr) == 1:            # W @ x: W is (m, n)
                self.assign(left, (Dim(), dr[0]))
                return Slot((left.known()[0],))
            if len(dr) == 2:            # v @ M: v is a row vector
                self.assign(left, (dr[0],))
                return Slot((dr[1],))
        elif dr is None:
            if len(dl) == 1:            # v @ M: M is (n, m)
                self.assign(right, (dl[0], Dim()))
                return Slot((right.known()[1],))
            if len(dl) == 2:            # A @ v: v is a column vector
                self.assign(right, (dl[1],))
                return Slot((dl[0],))
        else:
            inner_left = dl[-1]
            inner_right = dr[0]
            if len(dl) > 2 or len(dr) > 2:
                self.mismatch(node, left, right)
            try:
                if unify_dims(inner_left, inner_right):
                    self.changed = True
            except ShapeMismatch:
                self.mismatch(node, left, right)
            out = dl[:-1] + dr[1:]
            return Slot(out)
        self.mismatch(node, left, right)

    def assign(self, slot: Slot, dims: tuple) -> None:
        unify(slot, Slot(dims))
        self.changed = True

    def concat(self, node: Concat) -> Slot:
        # One result per node across passes, so that a resolved concatenation
        # does not look like news to every later pass.
        cached = self.concat_results.get(id(node))
        if cached is not None:
            return cached
        total, labels, parts = 0, [], []
        for item in node.items:
            dims = self.infer(item).known()
            if dims is None:
                return Slot()
            if len(dims) > 1:
                raise ShapeError(f"equation `{self.equation}`: `[...]` concatenates vectors, "
                                 f"but `{self.printer(item)}` is a matrix", equation=self.equation)
            if not dims:
                total += 1
                labels.append("1")
                parts.append(item.name if isinstance(item, (Name, Step)) else None)
                continue
            root = dims[0].root()
            if root.value is None:
                return Slot()
            total += root.value
            labels.append(root.label or str(root.value))
            parts.append(dims[0])
        label = _joined(labels)
        dim = Dim(total, label)
        self.concat_parts.append((dim, label, tuple(parts)))
        result = Slot((dim,))
        self.concat_results[id(node)] = result
        return result

    def relabel_concatenations(self, scalar_labels: dict) -> None:
        """Names each concatenation's size after its parts' labels as they are at the end.

        A part's label may be known only after the concatenation was sized (h's
        H comes from its initial value, x's I from the inputs), and a formula
        must read H·(H+I) whether the sizes came from `sizes:` or from numbers.
        `scalar_labels` names scalar parts (the input x of size 1 is I).
        """
        for dim, label, parts in self.concat_parts:
            root = dim.root()
            if root.label != label:
                continue   # unified with a dimension that has a name of its own
            root.label = _joined([
                (part.root().label or str(part.root().value)) if isinstance(part, Dim)
                else scalar_labels.get(part, "1") for part in parts])


MAX_LABEL_CHARS = 200


def _joined(labels: list) -> str | None:
    """Returns the label of a concatenation, `H+I`, or None when it would be longer than a
    formula can show: concatenations of concatenations would otherwise build labels of
    10^8 parts (a hostile file's `[a, a, ...]` nested eight deep) and run out of memory."""
    if sum(len(label) + 1 for label in labels) > MAX_LABEL_CHARS:
        return None
    return "+".join(labels)
