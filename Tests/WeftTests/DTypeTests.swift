import Testing
@testable import Weft

// Casting between dtypes and type promotion (PyTorch's rules).

@Suite struct DTypeTests {
    /// A tensor of `dtype` holding `values` (which must be representable in it).
    func make(_ values: [Double], _ dtype: DType) -> Tensor {
        switch dtype {
        case .bool: return Tensor(shape: [values.count], scalars: values.map { $0 != 0 })
        case .uint8: return Tensor(shape: [values.count], scalars: values.map { UInt8($0) })
        case .int32: return Tensor(shape: [values.count], scalars: values.map { Int32($0) })
        case .int64: return Tensor(shape: [values.count], scalars: values.map { Int64($0) })
        case .float16: return Tensor(shape: [values.count], scalars: values.map { Float16($0) })
        case .bfloat16: return Tensor(shape: [values.count], scalars: values.map { BFloat16(Float($0)) })
        case .float32: return Tensor(shape: [values.count], scalars: values.map { Float($0) })
        case .float64: return Tensor(shape: [values.count], scalars: values)
        }
    }

    /// Values every dtype in the pair can hold exactly.
    func values(_ a: DType, _ b: DType) -> [Double] {
        if a == .bool || b == .bool { return [0, 1, 1, 0] }
        if a == .uint8 || b == .uint8 { return [0, 1, 7, 200] }
        return [0, -3, 42, 250]
    }

    static let pairs: [(DType, DType)] = DType.allCases.flatMap { a in DType.allCases.map { (a, $0) } }

    @Test(arguments: pairs)
    func castRoundTrips(_ from: DType, _ to: DType) {
        let v = values(from, to)
        let x = make(v, from)
        let y = x.cast(to: to)
        #expect(y.dtype == to)
        #expect(y.shape == [v.count])
        #expect(y.doubles == v, "\(from) → \(to)")
        let back = y.cast(to: from)
        #expect(back.dtype == from)
        #expect(back.doubles == v, "\(from) → \(to) → \(from)")
    }

    @Test func castToSameDtypeIsTheSameTensor() {
        let x = tensor32([2], [1, 2])
        #expect(x.cast(to: .float32).sharesStorage(with: x))
    }

    @Test(arguments: [DType.float16, .bfloat16, .float32, .float64])
    func floatToIntegerTruncatesTowardZero(_ from: DType) {
        let x = make([1.75, -1.75, 2.5, -0.5, 0, 126.5], from)
        #expect(x.cast(to: .int32).scalars(as: Int32.self) == [1, -1, 2, 0, 0, 126])
        #expect(x.cast(to: .int64).scalars(as: Int64.self) == [1, -1, 2, 0, 0, 126])
        let p = make([1.75, 2.5, 0.25, 99.5], from)
        #expect(p.cast(to: .uint8).scalars(as: UInt8.self) == [1, 2, 0, 99])
    }

    @Test(arguments: [DType.float16, .bfloat16, .float32, .float64, .int32, .int64, .uint8])
    func toBoolIsNonzero(_ from: DType) {
        let x = make(from == .uint8 ? [0, 3, 0, 1] : [0, -2, 0, from.isFloatingPoint ? 0.5 : 1], from)
        #expect(x.cast(to: .bool).scalars(as: Bool.self) == [false, true, false, true])
    }

    @Test func floatSpecialValuesToBool() {
        #expect(tensor32([3], [-0.0, .nan, .infinity]).cast(to: .bool).scalars(as: Bool.self) == [false, true, true])
    }

    @Test func int64ToInt32Wraps() {
        // As PyTorch (C casts): 2^32 + 5 → 5, 2^31 → -2^31.
        let x = Tensor(shape: [2], scalars: [4_294_967_301, 2_147_483_648] as [Int64])
        #expect(x.cast(to: .int32).scalars(as: Int32.self) == [5, -2_147_483_648])
    }

    @Test func bfloat16RoundsToNearestEven() {
        // bfloat16 keeps 8 significant bits: its spacing at 1 is 2^-7 = 0.0078125.
        let x = tensor32([6], [
            1.00390625,              // 1 + 2^-8: a tie, rounds to even → 1.0
            1.01171875,              // 1 + 3·2^-8: a tie, rounds to even → 1.015625
            1.0039100646972656,      // just above the first tie → 1.0078125
            1.0038986206054688,      // just below → 1.0
            -3.14159265,             // → -3.140625
            3.0e38,                  // → 3.00405527e38 (bits 0x7F62)
        ])
        let b = x.cast(to: .bfloat16)
        #expect(b.dtype == .bfloat16)
        // torch.tensor([...], dtype=torch.float32).to(torch.bfloat16) gives the same (torch 2.15).
        #expect(b.doubles == [1.0, 1.015625, 1.0078125, 1.0, -3.140625, Double(Float(bitPattern: 0x7F62_0000))])
        #expect(BFloat16(Float(1.00390625)).bitPattern == 0x3F80)
        #expect(BFloat16(Float(1.01171875)).bitPattern == 0x3F82)
        #expect(BFloat16(Float.infinity).floatValue == .infinity)
        #expect(BFloat16(Float.nan).floatValue.isNaN)
        #expect(BFloat16(Float.greatestFiniteMagnitude).floatValue == .infinity)   // rounds up past the largest bfloat16
    }

    @Test func float16Rounding() {
        // torch.tensor([0.1]).half().double() == 0.0999755859375; 65520 overflows to inf.
        let h = tensor([3], [0.1, 65504, 65520]).cast(to: .float16)
        #expect(h.doubles == [0.0999755859375, 65504, .infinity])
    }

    @Test func promotionRules() {
        func dt(_ a: DType, _ b: DType) -> DType { (make([1], a) + make([1], b)).dtype }
        #expect(dt(.int32, .float32) == .float32)
        #expect(dt(.float32, .int32) == .float32)
        #expect(dt(.uint8, .int32) == .int32)
        #expect(dt(.uint8, .int64) == .int64)
        #expect(dt(.int32, .int64) == .int64)
        #expect(dt(.bool, .bool) == .int64)
        #expect(dt(.bool, .uint8) == .uint8)
        #expect(dt(.bool, .float16) == .float16)
        #expect(dt(.int64, .float16) == .float16)
        #expect(dt(.float16, .bfloat16) == .float32)
        #expect(dt(.bfloat16, .float16) == .float32)
        #expect(dt(.float16, .float16) == .float16)
        #expect(dt(.float32, .float64) == .float64)
        #expect(dt(.bfloat16, .float64) == .float64)
        #expect(DType.promote(.float16, .bfloat16) == .float32)
        #expect(DType.promote(.uint8, .int32) == .int32)
    }

    @Test func promotedArithmeticValues() {
        let i = Tensor(shape: [2], scalars: [1, 2] as [Int32])
        let f = tensor32([2], [0.5, 0.25])
        #expect((i + f).scalars(as: Float.self) == [1.5, 2.25])
        let u = Tensor(shape: [2], scalars: [200, 255] as [UInt8])
        let s = u + Tensor(shape: [2], scalars: [100, -300] as [Int32])
        #expect(s.scalars(as: Int32.self) == [300, -45])   // no uint8 wrap-around once promoted
        let b = Tensor(shape: [3], scalars: [true, true, false])
        let bb = b + b
        #expect(bb.scalars(as: Int64.self) == [2, 2, 0])
        #expect((b * b).scalars(as: Int64.self) == [1, 1, 0])
        #expect((b - Tensor(shape: [3], scalars: [false, true, true])).scalars(as: Int64.self) == [1, 0, -1])
        let idiv = Tensor(shape: [2], scalars: [7, 1] as [Int64]) / Tensor(shape: [2], scalars: [2, 4] as [Int64])
        #expect(idiv.dtype == .float32)
        #expect(idiv.scalars(as: Float.self) == [3.5, 0.25])
        let bdiv = b / Tensor(shape: [3], scalars: [true, true, true])
        #expect(bdiv.dtype == .float32)
        #expect(bdiv.scalars(as: Float.self) == [1, 1, 0])
        let hb = tensor([1], [1.5], dtype: .float16) + tensor([1], [0.25], dtype: .bfloat16)
        #expect(hb.dtype == .float32)
        #expect(hb.scalars(as: Float.self) == [1.75])
        let ipow = pow(Tensor(shape: [2], scalars: [2, 3] as [Int32]), Tensor(shape: [2], scalars: [3, 2] as [Int32]))
        #expect(ipow.dtype == .float32)
        #expect(ipow.scalars(as: Float.self) == [8, 9])
    }

    @Test func defaultFloatTypeIsFloat32() {
        #expect(Tensor.zeros([2]).dtype == .float32)
        #expect(Tensor(Float(1)).dtype == .float32)
        #expect(DType.int32.floatingResult == .float32)
        #expect(DType.float16.floatingResult == .float16)
    }

    @Test func dtypeProperties() {
        #expect(DType.allCases.map(\.byteSize) == [1, 1, 4, 8, 2, 2, 4, 8])
        #expect(DType.allCases.filter(\.isFloatingPoint) == [.float16, .bfloat16, .float32, .float64])
        #expect(DType.allCases.filter(\.isInteger) == [.uint8, .int32, .int64])
        #expect(DType.bfloat16.computeType == .float32 && DType.float16.computeType == .float32 && DType.float64.computeType == .float64)
        #expect(DType.allCases.map(\.description) == ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"])
    }
}
