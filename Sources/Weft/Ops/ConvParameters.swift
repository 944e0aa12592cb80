/// Geometry of a 2-D convolution over NCHW input with OIHW weights (PyTorch layouts).
public struct Conv2DParameters: Hashable, Sendable {
    public var strideH = 1, strideW = 1
    public var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0
    public var dilationH = 1, dilationW = 1
    public var groups = 1

    public init(stride: (Int, Int) = (1, 1), padding: (top: Int, left: Int, bottom: Int, right: Int) = (0, 0, 0, 0),
                dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        (strideH, strideW) = stride
        (padTop, padLeft, padBottom, padRight) = padding
        (dilationH, dilationW) = dilation
        self.groups = groups
    }

    /// Output spatial size for an input of `h`×`w` and a `kh`×`kw` kernel.
    public func outputSize(height h: Int, width w: Int, kernelH kh: Int, kernelW kw: Int) -> (Int, Int) {
        let eh = dilationH * (kh - 1) + 1, ew = dilationW * (kw - 1) + 1
        let sh = h + padTop + padBottom - eh, sw = w + padLeft + padRight - ew
        // A window that does not fit gives 0 (integer division would round −1/2 up to 0 → 1).
        return (sh < 0 ? 0 : sh / strideH + 1, sw < 0 ? 0 : sw / strideW + 1)
    }
}

/// Geometry of 2-D pooling over NCHW input.
public struct Pool2DParameters: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case max, averageIncludingPadding, averageExcludingPadding }
    public var kind: Kind
    public var kernelH, kernelW: Int
    public var strideH, strideW: Int
    public var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0

    public init(kind: Kind, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (top: Int, left: Int, bottom: Int, right: Int) = (0, 0, 0, 0)) {
        self.kind = kind
        (kernelH, kernelW) = kernel
        (strideH, strideW) = stride ?? kernel
        (padTop, padLeft, padBottom, padRight) = padding
    }

    public func outputSize(height h: Int, width w: Int) -> (Int, Int) {
        let sh = h + padTop + padBottom - kernelH, sw = w + padLeft + padRight - kernelW
        return (sh < 0 ? 0 : sh / strideH + 1, sw < 0 ? 0 : sw / strideW + 1)
    }
}
