import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Resizing and CenterCrop against Keras 3.15.1 (torch backend, float64, channels_first):
// x = det((2,2,5,7), .29, .3), det(shape, a, b) = (0.5 * np.sin(a * np.arange(n) + b));
//   Resizing(8, 4)(x); Resizing(3, 4, interpolation="nearest")(x);
//   Resizing(4, 4, crop_to_aspect_ratio=True)(x); CenterCrop(3, 4)(x).
// RandomCrop in inference follows Keras's documentation (the aspect-ratio crop resized to the
// target); Keras 3.15.1's code returns the images unchanged there, so there is no reference.

private let x = nnTensor([2, 2, 5, 7], (0..<140).map { 0.5 * Foundation.sin(0.29 * Double($0) + 0.3) })

@Suite("Image preprocessing layers: Resizing, CenterCrop, RandomCrop, RandomFlip")
struct ImagePreprocessingTests {
    @Test func resizingAndCenterCrop() throws {
        let r = KerasImagePreprocessingReference.self
        let up = Resizing(height: 8, width: 4)
        #expect(try up.build(inputShape: [2, 5, 7]) == [2, 8, 4])
        expectNear(up(x).doubles, r.bilinearUp, rtol: 1e-12, atol: 1e-12)
        expectNear(Resizing(height: 3, width: 4, interpolation: .nearest)(x).doubles, r.nearestDown, rtol: 0, atol: 0)
        expectNear(Resizing(height: 4, width: 4, cropToAspectRatio: true)(x).doubles, r.cropAspect, rtol: 1e-12, atol: 1e-12)
        expectNear(CenterCrop(height: 3, width: 4)(x).doubles, r.centerCrop, rtol: 0, atol: 0)
        #expect(Resizing(height: 5, width: 7)(x).doubles == x.doubles)
        #expect(throws: ShapeError.self) { try Resizing(height: 2, width: 2).build(inputShape: [5, 7]) == [] }
    }

    @Test func randomCropAndFlip() throws {
        // Training: a 3×4 window of the images at one offset for the batch.
        let crop = RandomCrop(height: 3, width: 4, generator: RandomGenerator(seed: 4))
        let y = withTrainingMode { crop(x) }
        #expect(y.shape == [2, 2, 3, 4])
        var found = false
        for top in 0...2 { for left in 0...3 {
            let window = x.sliced(axis: 2, start: top, end: top + 3).sliced(axis: 3, start: left, end: left + 4)
            if window.doubles == y.doubles { found = true }
        } }
        #expect(found)
        // Inference: the aspect-ratio crop resized (as Resizing(cropToAspectRatio:)).
        expectNear(crop(x).doubles, Resizing(height: 3, width: 4, cropToAspectRatio: true)(x).doubles, rtol: 0, atol: 0)
        // RandomFlip: identity in inference; in training each image is itself or its mirror.
        let flip = RandomFlip(.horizontal, generator: RandomGenerator(seed: 1))
        #expect(flip(x).doubles == x.doubles)
        let big = nnTensor([32, 1, 2, 3], nnRandom(192, seed: 2))
        let f = withTrainingMode { flip(big) }
        let mirrored = big.indexSelect(axis: 3, indices: Tensor(shape: [3], scalars: [Int32(2), 1, 0]))
        var flipped = 0
        for i in 0..<32 {
            let got = f.sliced(axis: 0, start: i, end: i + 1).doubles
            if got == mirrored.sliced(axis: 0, start: i, end: i + 1).doubles { flipped += 1 }
            else { #expect(got == big.sliced(axis: 0, start: i, end: i + 1).doubles) }
        }
        #expect(flipped > 4 && flipped < 28, "\(flipped) of 32 flipped")
        let v = withTrainingMode { RandomFlip(.vertical, generator: RandomGenerator(seed: 3))(big) }
        let upDown = big.indexSelect(axis: 2, indices: Tensor(shape: [2], scalars: [Int32(1), 0]))
        #expect(v.doubles != big.doubles)
        for i in 0..<32 {
            let got = v.sliced(axis: 0, start: i, end: i + 1).doubles
            #expect(got == upDown.sliced(axis: 0, start: i, end: i + 1).doubles || got == big.sliced(axis: 0, start: i, end: i + 1).doubles)
        }
    }

    /// PyTorch 2.15 (float64) F.interpolate(x, size, mode="bilinear", align_corners=False,
    /// antialias=True) — what Keras's Resizing(antialias=True) runs on the torch backend — for
    /// x = 0.5 + 0.5·sin(0.37·k + 0.2) of shape [1, 2, 9, 11]: size (4, 3) and (5, 14).
    @Test("Resizing(antialias:) equals PyTorch's antialiased bilinear, shrinking and mixed")
    func antialias() {
        let x = kerasDet([1, 2, 9, 11], 0.37, 0.2, offset: 0.5)
        expectNear(Resizing(height: 4, width: 3, antialias: true)(x).doubles, [0.4718723794002959, 0.5519473614521296, 0.5635399823570559, 0.5155479336697265, 0.5406823024195905, 0.5121850708589466, 0.5293050097753798, 0.48082721994716304, 0.45762496310205175, 0.4989657675344812, 0.43406788119231166, 0.45608850322384936, 0.4273013933228984, 0.4847053554037897, 0.5622722929577754, 0.47239157444000335, 0.5210417986103774, 0.5419525570728686, 0.5416001058881166, 0.522274045689868, 0.4735840447928814, 0.5636016936425409, 0.4871321609361182, 0.4276263387497201], rtol: 1e-12, atol: 1e-14, "down")
        expectNear(Resizing(height: 5, width: 14, antialias: true)(x).doubles, [0.38758913954162516, 0.42626993581199646, 0.4745399773511995, 0.5249127255443738, 0.57427623692496, 0.6162939145783132, 0.6479705456349745, 0.6679766105631249, 0.6750813243467043, 0.667660322478988, 0.6432545328569459, 0.6082347773418271, 0.5649485224222189, 0.52296081490536, 0.6119916409472755, 0.6062187598006988, 0.5930315361612042, 0.5726025978453894, 0.5460731673435646, 0.5147222419775783, 0.48274703860635615, 0.45236055180821017, 0.4254321763279929, 0.40423546497503804, 0.3928575166169306, 0.3899673509010813, 0.39558488170667916, 0.40638051046978724, 0.4136802813875057, 0.3958891244690623, 0.38236061758563217, 0.3779076004530905, 0.3829803458347145, 0.400010213706979, 0.42493858800433604, 0.4554566717681947, 0.4896869743300845, 0.5254323150442667, 0.5584311167618721, 0.5863042276638548, 0.6074352099998157, 0.6201818669237626, 0.49444052542500005, 0.5221498934315447, 0.552017758742841, 0.5779372647751342, 0.5982120029644766, 0.6085651104527713, 0.609803641795238, 0.6025613478150378, 0.5872837787462993, 0.5644065043277705, 0.5350969480119968, 0.5036195830579383, 0.47194756245856717, 0.44543531260091906, 0.6395533447852124, 0.6064668229816399, 0.5624507027011172, 0.5134781669932235, 0.46251957497257035, 0.41514700356792855, 0.37563186215076705, 0.3460296513644009, 0.3281615168268692, 0.3243427073781513, 0.3383723109696838, 0.36462760932532673, 0.40126941074017725, 0.43924904291412437, 0.3261752598310501, 0.32609215059868824, 0.33692656947205213, 0.36042163434597957, 0.39534677735774737, 0.44110629889419734, 0.4908507477291461, 0.5409000625957576, 0.5881751798689199, 0.6289664081152002, 0.656478175067122, 0.6713918011300899, 0.6730253566758799, 0.6648355425319655, 0.5561086948511699, 0.5773234796823126, 0.5963975706230958, 0.6080565253113426, 0.611430615442585, 0.6034567053050454, 0.5871302702415722, 0.5642137347784701, 0.5361169378105594, 0.5044610681591017, 0.472498421616992, 0.4432529299243421, 0.41847001402379513, 0.40104322793831537, 0.5362214142480062, 0.5055248380966565, 0.47054796730829784, 0.43775773612877744, 0.4092471178661219, 0.3898592758773398, 0.37988421616539886, 0.37925593502307486, 0.3880130846800103, 0.4063144341945704, 0.43404126684058575, 0.466349344442554, 0.5011697017355451, 0.5319701298929218, 0.39923032096757466, 0.415864397932037, 0.43991676975974325, 0.4686881523847018, 0.5004676391543484, 0.532346747980184, 0.5609724262745198, 0.5846636320463667, 0.6019628682226575, 0.6110531838190211, 0.6088286607017318, 0.598238310181576, 0.5800877443687877, 0.5595376191913892, 0.662435231672797, 0.6721706121413067, 0.6723343659037533, 0.6591499038697032, 0.6331896766591161, 0.5935264933148021, 0.5469186151990663, 0.4970668578700893, 0.44703813109574, 0.40049220276072317, 0.36426197457393755, 0.3391893546676488, 0.32660684079261987, 0.3251117283408558], rtol: 1e-12, atol: 1e-14, "mixed")
        // Without antialias shrinking differs; enlarging both ways is plain bilinear either way.
        #expect(Resizing(height: 4, width: 3)(x).doubles != Resizing(height: 4, width: 3, antialias: true)(x).doubles)
        expectNear(Resizing(height: 12, width: 15, antialias: true)(x).doubles, Resizing(height: 12, width: 15)(x).doubles, rtol: 0, atol: 1e-15)
    }
}
