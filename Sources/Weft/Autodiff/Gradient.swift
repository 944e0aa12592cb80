/// Reverse-mode gradients of `output` with respect to `inputs` (tensors made with
/// `requiringGradient()` that `output` was computed from). `seed` is the gradient of the output
/// (ones by default, so a scalar loss needs none). Inputs that `output` does not depend on get zeros.
public func gradients(of output: Tensor, wrt inputs: [Tensor], seed: Tensor? = nil) -> [Tensor] {
    guard let root = output.node else {
        return inputs.map { Tensor.zeros($0.shape, dtype: $0.dtype) }
    }
    // Topological order by iterative DFS (post-order).
    var order: [GradNode] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(GradNode, Int)] = [(root, 0)]
    visited.insert(ObjectIdentifier(root))
    while let (node, next) = stack.popLast() {
        if next < node.inputs.count {
            stack.append((node, next + 1))
            if let child = node.inputs[next], !visited.contains(ObjectIdentifier(child)) {
                visited.insert(ObjectIdentifier(child))
                stack.append((child, 0))
            }
        } else {
            order.append(node)
        }
    }
    // Which nodes lead to a requested input: only those need gradients.
    let wanted = Set(inputs.compactMap { $0.node.map(ObjectIdentifier.init) })
    var leads = Set<ObjectIdentifier>()
    for node in order {   // children come before parents in post-order
        let id = ObjectIdentifier(node)
        if wanted.contains(id) || node.inputs.contains(where: { $0.map { leads.contains(ObjectIdentifier($0)) } ?? false }) {
            leads.insert(id)
        }
    }
    var grads: [ObjectIdentifier: Tensor] = [:]
    let seedGrad = seed ?? Tensor.ones(output.shape, dtype: output.dtype)
    precondition(seedGrad.shape == output.shape, "gradients(of:): seed shape \(shapeString(seedGrad.shape)) differs from output shape \(shapeString(output.shape))")
    grads[ObjectIdentifier(root)] = seedGrad.detached()
    withoutGradient {
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard let backward = node.backward, leads.contains(id), let g = grads[id] else { continue }
            if !wanted.contains(id) { grads[id] = nil }   // free as soon as it is used
            let needed = node.inputs.map { $0.map { leads.contains(ObjectIdentifier($0)) } ?? false }
            let inGrads = backward(g, needed)
            for (i, child) in node.inputs.enumerated() {
                guard let child, needed[i], let gi = inGrads[i] else { continue }
                precondition(gi.shape == child.shape, "autodiff: the gradient of \(node.op) for input \(i) has shape \(shapeString(gi.shape)), expected \(shapeString(child.shape))")
                let cid = ObjectIdentifier(child)
                if let existing = grads[cid] { grads[cid] = existing + gi } else { grads[cid] = gi }
            }
        }
    }
    return inputs.map { x in
        if let n = x.node, let g = grads[ObjectIdentifier(n)] { return g }
        return Tensor.zeros(x.shape, dtype: x.dtype)
    }
}

/// The value of `f` at `x` and its gradient (f must return a scalar, or pass `seed`).
public func valueWithGradient(at x: Tensor, in f: (Tensor) -> Tensor) -> (value: Tensor, gradient: Tensor) {
    let xr = x.requiringGradient()
    let y = f(xr)
    return (y.detached(), gradients(of: y, wrt: [xr])[0])
}

/// The value of `f` at `(x, y)` and both gradients.
public func valueWithGradient(at x: Tensor, _ y: Tensor, in f: (Tensor, Tensor) -> Tensor) -> (value: Tensor, gradient: (Tensor, Tensor)) {
    let xr = x.requiringGradient(), yr = y.requiringGradient()
    let v = f(xr, yr)
    let g = gradients(of: v, wrt: [xr, yr])
    return (v.detached(), (g[0], g[1]))
}

/// The value of `f` at `xs` and the gradient for each.
public func valueWithGradient(at xs: [Tensor], in f: ([Tensor]) -> Tensor) -> (value: Tensor, gradients: [Tensor]) {
    let xr = xs.map { $0.requiringGradient() }
    let v = f(xr)
    return (v.detached(), gradients(of: v, wrt: xr))
}

/// The gradient of `f` at `x`.
public func gradient(at x: Tensor, in f: (Tensor) -> Tensor) -> Tensor { valueWithGradient(at: x, in: f).gradient }
