import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// ContrastLimitedAdaptiveHistogramEqualization against Keras 3.15.1 (torch backend, float64
// policy; Keras runs the equalization in float32, so values compare at 1e-6),
// det(shape, a, b) = 0.5 + 0.5·sin(a·k + b) over the row-major index k, data_format="channels_first":
//
//   padded    = CLAHE(value_range=(0, 1), clip_limit=4.0, tile_grid_size=(2, 2))(floor(det((2, 3, 16, 15), .37, .2) · 8) / 8)
//               (15 columns padded to 16: tiles of 8 × 8; nine levels, so the clip bites)
//   y         = floor(det((1, 1, 16, 16), .9, .3) · 255)
//   unclipped = CLAHE(clip_limit=0, tile_grid_size=(8, 8))(y)
//   clipped   = CLAHE(clip_limit=8.0, tile_grid_size=(2, 4))(y)
//
// Keras's torch backend counts its histograms in integers and casts the clip limit
// clip_limit·(tile pixels)/256 to that type, so a fractional limit is truncated (0.75 becomes 0
// and the layer an identity map); Weft keeps the limit as given. The references use tiles where
// the limit is a whole number.

private typealias R = KerasCLAHEReference

@Suite("ContrastLimitedAdaptiveHistogramEqualization against Keras 3")
struct CLAHETests {
    private var y: Tensor { nnTensor([1, 1, 16, 16], (0..<256).map { ((0.5 + 0.5 * Foundation.sin(0.9 * Double($0) + 0.3)) * 255).rounded(.down) }) }

    @Test("Padded tiles, clipping and value range; no clipping; clipping on 0…255")
    func keras() {
        let x = nnTensor([2, 3, 16, 15], kerasDet([2, 3, 16, 15], 0.37, 0.2, offset: 0.5).doubles.map { ($0 * 8).rounded(.down) / 8 })
        let a = ContrastLimitedAdaptiveHistogramEqualization(valueRange: (0, 1), clipLimit: 4, tileGridSize: (2, 2))(x)
        #expect(a.shape == x.shape && a.dtype == .float64)
        expectNear(a.doubles, R.padded, rtol: 0, atol: 1e-6, "padded tiles")
        expectNear(ContrastLimitedAdaptiveHistogramEqualization(clipLimit: 0)(y).doubles, R.unclipped, rtol: 0, atol: 1e-4, "unclipped")
        expectNear(ContrastLimitedAdaptiveHistogramEqualization(clipLimit: 8, tileGridSize: (2, 4))(y).doubles, R.clipped, rtol: 0, atol: 1e-4, "clipped")
    }

    @Test("The clip limit matters, the layer works in inference too, and integer images stay integer")
    func behaviour() {
        let clipped = ContrastLimitedAdaptiveHistogramEqualization(tileGridSize: (2, 3))(y).doubles
        let free = ContrastLimitedAdaptiveHistogramEqualization(clipLimit: 0, tileGridSize: (2, 3))(y).doubles
        #expect(clipped != free)
        let ints = y.cast(to: .int32)
        let out = ContrastLimitedAdaptiveHistogramEqualization(tileGridSize: (2, 3))(ints)
        #expect(out.dtype == .int32)
        #expect(out.doubles == clipped.map { $0.rounded(.towardZero) })
        // One tile over a constant image: its only bin holds the whole tile, so the mapping is
        // 255·(16 − 0)/(16 − 0) from bin 77 on (the cdf's minimum is its empty first bin).
        let flat = ContrastLimitedAdaptiveHistogramEqualization(clipLimit: 0, tileGridSize: (1, 1))(nnTensor([1, 1, 4, 4], [Double](repeating: 77, count: 16)))
        #expect(flat.doubles == [Double](repeating: 255, count: 16))
    }
}
