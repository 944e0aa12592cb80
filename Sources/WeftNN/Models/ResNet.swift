import Weft

// ResNet-50 v1.5 (torchvision's `resnet50`): the stride of a downsampling bottleneck sits on
// its 3×3 convolution. Layer names follow torchvision's state_dict (conv1, bn1, layer1.0.conv1,
// layer1.0.downsample.0, …, fc); inside a BatchNormalization the names are Weft's (gamma, beta,
// movingMean, movingVariance for PyTorch's weight, bias, running_mean, running_var), and `fc`
// is a Dense whose kernel is Keras's [in, out] (the transpose of PyTorch's fc.weight).

/// A convolution followed by a batch normalization, with the normalization folded into the
/// convolution's weights and bias: scale = γ/√(σ²+ε), W' = W·scale, b' = β + (b − μ)·scale,
/// which in inference mode gives the same output as `bn(conv(x))` with one oneDNN convolution
/// (ReLU fused when `relu`). With `residual`, the result is `[relu](bn(conv(x)) + residual)`,
/// the addition (and ReLU) done inside the convolution when no gradient is recorded. Built from
/// differentiable ops, so gradients still flow to the convolution's weights and to γ and β.
public func foldedConvBatchNorm(_ x: Tensor, _ conv: Conv2D, _ bn: BatchNormalization, relu: Bool,
                                adding residual: Tensor? = nil) -> Tensor {
    if conv.weight == nil { ensureBuilt(conv, x) }
    if bn.movingMean == nil { _ = try? bn.build(inputShape: [conv.filters, 1, 1]) }
    precondition(bn.fullAxis(rank: 4) == 1, "foldedConvBatchNorm: the batch normalization must normalise channels (axis 1)")
    let w = conv.weight!.value
    let mean = bn.movingMean!.value.cast(to: w.dtype), variance = bn.movingVariance!.value.cast(to: w.dtype)
    var scale = rsqrt(variance + bn.epsilon)
    if let g = bn.gamma { scale = scale * g.value.cast(to: w.dtype) }
    var shift = conv.bias.map { ($0.value - mean) * scale } ?? (-mean * scale)
    if let b = bn.beta { shift = shift + b.value.cast(to: w.dtype) }
    let folded = w * scale.reshaped(to: [conv.filters, 1, 1, 1])
    if let residual {
        return conv2d(x, weight: folded, bias: shift, stride: conv.strides, padding: conv.padding, dilation: conv.dilation,
                      groups: conv.groups, adding: residual, fuseReLU: relu)
    }
    return conv2d(x, weight: folded, bias: shift, stride: conv.strides, padding: conv.padding, dilation: conv.dilation,
                  groups: conv.groups, fuseReLU: relu)
}

/// Applies `conv`, then `bn`, then ReLU when `relu`: in inference mode with `fold` as one
/// folded convolution (`foldedConvBatchNorm`), otherwise as the three layers (training mode:
/// batch statistics and moving-average updates, exactly as the layers do on their own).
func convBN(_ x: Tensor, _ conv: Conv2D, _ bn: BatchNormalization, relu doReLU: Bool, fold: Bool) -> Tensor {
    if fold && !LearningPhase.isTraining { return foldedConvBatchNorm(x, conv, bn, relu: doReLU) }
    let y = bn(conv(x))
    return doReLU ? relu(y) : y
}

/// A 1×1 or k×k convolution without bias, initialised as torchvision does
/// (Kaiming normal, fan-out, gain √2), with its weight created at once.
func resnetConv(_ inChannels: Int, _ filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0) -> Conv2D {
    let initializer: Initializer = .varianceScaling(scale: 2, mode: .fanOut, distribution: .untruncatedNormal)
    let c = Conv2D(filters, kernel: (kernel, kernel), strides: (stride, stride),
                   padding: padding == 0 ? .valid : .explicit(padding, padding), useBias: false, kernelInitializer: initializer)
    let rf = kernel * kernel
    c.weight = Parameter(initializer.make([filters, inChannels, kernel, kernel], fanIn: inChannels * rf, fanOut: filters * rf))
    return c
}

/// PyTorch's BatchNorm2d defaults (momentum 0.1 → Keras momentum 0.9, ε 1e-5), built.
func resnetBN(_ channels: Int) -> BatchNormalization {
    let bn = BatchNormalization(axis: 1, momentum: 0.9, epsilon: 1e-5)
    _ = try? bn.build(inputShape: [channels, 1, 1])
    return bn
}

/// torchvision's `Bottleneck` (ResNet v1.5): 1×1 conv → BN → ReLU → 3×3 conv (stride) → BN →
/// ReLU → 1×1 conv (×4 channels) → BN, plus the identity (or a 1×1 conv + BN `downsample` when
/// the stride or the channel count changes), then ReLU.
///
/// A custom layer written as a `Layer` class: its parameters and sub-layers are found by
/// reflection, so `namedParameters` gives `conv1.weight`, `bn1.gamma`, …, `downsample.0.weight`.
public final class Bottleneck: Layer {
    public static let expansion = 4
    public let inChannels: Int
    /// The width of the 3×3 convolution ("planes" in torchvision); the block outputs 4× as many channels.
    public let width: Int
    public let stride: Int
    public let conv1: Conv2D
    public let bn1: BatchNormalization
    public let conv2: Conv2D
    public let bn2: BatchNormalization
    public let conv3: Conv2D
    public let bn3: BatchNormalization
    /// Empty, or [Conv2D 1×1 with the block's stride, BatchNormalization].
    public let downsample: [any Layer]
    /// In inference mode, fold each BatchNormalization into the convolution before it
    /// (`foldedConvBatchNorm`); off gives the layer-by-layer computation.
    public var foldBatchNormInInference = true

    public init(inChannels: Int, width: Int, stride: Int = 1, downsample: Bool? = nil) {
        precondition(inChannels > 0 && width > 0 && stride > 0, "Bottleneck: channels, width and stride must be positive")
        self.inChannels = inChannels
        self.width = width
        self.stride = stride
        let out = width * Bottleneck.expansion
        conv1 = resnetConv(inChannels, width, kernel: 1)
        bn1 = resnetBN(width)
        conv2 = resnetConv(width, width, kernel: 3, stride: stride, padding: 1)
        bn2 = resnetBN(width)
        conv3 = resnetConv(width, out, kernel: 1)
        bn3 = resnetBN(out)
        if downsample ?? (stride != 1 || inChannels != out) {
            self.downsample = [resnetConv(inChannels, out, kernel: 1, stride: stride), resnetBN(out)]
        } else {
            self.downsample = []
        }
    }

    public var outChannels: Int { width * Bottleneck.expansion }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 3 else {
            throw ShapeError(layer: "Bottleneck", "expects per-sample input [channels, height, width], got \(s)")
        }
        guard s[0] == inChannels else {
            throw ShapeError(layer: "Bottleneck", "input shape \(s) has \(s[0]) channels, but the block was built for \(inChannels)")
        }
        var y = try bn1.build(inputShape: conv1.build(inputShape: s))
        y = try bn2.build(inputShape: conv2.build(inputShape: y))
        y = try bn3.build(inputShape: conv3.build(inputShape: y))
        var identity = s
        for layer in downsample { identity = try layer.build(inputShape: identity) }
        guard identity == y else {
            throw ShapeError(layer: "Bottleneck", "the residual branch gives \(y) but the shortcut gives \(identity) for input shape \(s); a downsample is needed")
        }
        return y
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let fold = foldBatchNormInInference
        if fold && !LearningPhase.isTraining {
            // Inference: every BatchNormalization folded; the addition and the last ReLU run
            // inside the last convolution (oneDNN sum post-op), keeping the blocked layout.
            let identity = downsample.isEmpty ? x
                : foldedConvBatchNorm(x, downsample[0] as! Conv2D, downsample[1] as! BatchNormalization, relu: false)
            var h = foldedConvBatchNorm(x, conv1, bn1, relu: true)
            h = foldedConvBatchNorm(h, conv2, bn2, relu: true)
            return foldedConvBatchNorm(h, conv3, bn3, relu: true, adding: identity)
        }
        var h = convBN(x, conv1, bn1, relu: true, fold: fold)
        h = convBN(h, conv2, bn2, relu: true, fold: fold)
        h = convBN(h, conv3, bn3, relu: false, fold: fold)
        let identity: Tensor
        if downsample.isEmpty {
            identity = x
        } else {
            identity = convBN(x, downsample[0] as! Conv2D, downsample[1] as! BatchNormalization, relu: false, fold: fold)
        }
        return relu(h + identity)
    }
}

/// ResNet v1.5 with bottleneck blocks (torchvision's `ResNet`): conv1 7×7/2 (pad 3) → bn1 →
/// ReLU → max pool 3/2 (pad 1) → layer1…layer4 → global average pool (→ [N, 2048] for
/// ResNet-50) → `fc` when `includeTop`. Input: NCHW, 3 channels.
public final class ResNet: Model {
    public let blockCounts: [Int]
    public let includeTop: Bool
    public let classes: Int
    public let conv1: Conv2D
    public let bn1: BatchNormalization
    public let maxpool: MaxPool2D
    public let layer1: [any Layer]
    public let layer2: [any Layer]
    public let layer3: [any Layer]
    public let layer4: [any Layer]
    public let avgpool: GlobalAveragePooling2D
    public let fc: Dense?

    /// `blockCounts`: bottlenecks per stage ([3, 4, 6, 3] for ResNet-50).
    public init(blockCounts: [Int], includeTop: Bool = false, classes: Int = 1000) {
        precondition(blockCounts.count == 4 && blockCounts.allSatisfy { $0 > 0 }, "ResNet: four positive block counts")
        precondition(!includeTop || classes > 0, "ResNet: classes must be positive")
        self.blockCounts = blockCounts
        self.includeTop = includeTop
        self.classes = classes
        conv1 = resnetConv(3, 64, kernel: 7, stride: 2, padding: 3)
        bn1 = resnetBN(64)
        maxpool = MaxPool2D((3, 3), strides: (2, 2), padding: .explicit(1, 1))
        var stages: [[any Layer]] = []
        var cin = 64
        for (i, (width, n)) in zip([64, 128, 256, 512], blockCounts).enumerated() {
            var blocks: [any Layer] = []
            for j in 0..<n {
                let b = Bottleneck(inChannels: cin, width: width, stride: j == 0 && i > 0 ? 2 : 1)
                blocks.append(b)
                cin = b.outChannels
            }
            stages.append(blocks)
        }
        (layer1, layer2, layer3, layer4) = (stages[0], stages[1], stages[2], stages[3])
        avgpool = GlobalAveragePooling2D()
        if includeTop {
            let d = Dense(classes)
            _ = try? d.build(inputShape: [cin])
            fc = d
        } else {
            fc = nil
        }
        super.init()
        name = blockCounts == [3, 4, 6, 3] ? "resnet50" : "resnet"
    }

    /// Every bottleneck, in order.
    public var blocks: [Bottleneck] { (layer1 + layer2 + layer3 + layer4).map { $0 as! Bottleneck } }

    /// In inference mode, fold every BatchNormalization into the convolution before it (default
    /// on); training mode always runs the layers as they are.
    public var foldBatchNormInInference = true {
        didSet { for b in blocks { b.foldBatchNormInInference = foldBatchNormInInference } }
    }

    public override var typeName: String { "Functional" }

    public override var namedChildren: [(String, any Layer)] {
        var out: [(String, any Layer)] = [("conv1", conv1), ("bn1", bn1), ("maxpool", maxpool)]
        for (name, stage) in [("layer1", layer1), ("layer2", layer2), ("layer3", layer3), ("layer4", layer4)] {
            for (i, b) in stage.enumerated() { out.append(("\(name).\(i)", b)) }
        }
        out.append(("avgpool", avgpool))
        if let fc { out.append(("fc", fc)) }
        return out
    }

    public override func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 3, s[0] == 3 else {
            throw ShapeError(layer: "ResNet", "expects per-sample input [3, height, width], got \(s)")
        }
        var y = try maxpool.build(inputShape: bn1.build(inputShape: conv1.build(inputShape: s)))
        for b in blocks { y = try b.build(inputShape: y) }
        y = try avgpool.build(inputShape: y)
        if let fc { y = try fc.build(inputShape: y) }
        builtInputShape = s
        return y
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == 3, "ResNet: expects NCHW input with 3 channels, got \(x.shape)")
        var y = convBN(x, conv1, bn1, relu: true, fold: foldBatchNormInInference)
        y = maxpool(y)
        for b in blocks { y = b(y) }
        y = avgpool(y)
        if let fc { y = fc(y) }
        return y
    }
}

extension ClassicModels {
    /// ResNet-50 v1.5, torchvision's architecture and initialisation: 23,508,032 trainable
    /// parameters up to the 2048-d pooled features (`includeTop: false`, output [N, 2048]),
    /// 25,557,032 with the `classes`-way (1000) `fc` layer. Not compiled.
    public static func resnet50(includeTop: Bool = false, classes: Int = 1000) -> ResNet {
        ResNet(blockCounts: [3, 4, 6, 3], includeTop: includeTop, classes: classes)
    }
}
