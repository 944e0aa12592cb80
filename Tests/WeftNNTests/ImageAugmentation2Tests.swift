import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// RandomShear, RandomGrayscale, RandomInvert, Solarization, MixUp, CutMix. References
// (KerasImageAugmentation2Reference.swift) from Keras 3.15.1, torch backend, float64,
// channels-first, x = det([2, 3, 5, 6], .37, .2), det = 0.5 + 0.5·sin(a·k + b):
//
//   shearPlus / shearMinus = ops.image.affine_transform(x, [1, ±0.3, 0, ±0.2, 1, 0, 0, 0] per image, fill_mode="reflect")
//       (RandomShear draws the sign per image, so each image is one of the two)
//   grayscale = RandomGrayscale(factor=1.0)(x, training=True)
//   inverted = RandomInvert(factor=(1.0, 1.0), value_range=(0, 1))(x, training=True)
//   perspBilinear / perspNearest = ops.image.perspective_transform(x·0.8 + 0.1, start = the corners (0,0), (5,0), (0,4),
//       (5,4), end = [[.3,.2], [5.4,-.3], [-.2,3.6], [4.7,4.4]] and [[0,0], [4.5,.5], [.6,4.2], [5.5,3.5]], fill_value=.25)

private typealias R = KerasImageAugmentation2Reference

private func images(_ shape: Shape = [2, 3, 5, 6]) -> Tensor {
    nnTensor(shape, (0..<shape.elementCount).map { 0.5 + 0.5 * Foundation.sin(0.37 * Double($0) + 0.2) })
}

@Suite("More image augmentations against Keras 3")
struct ImageAugmentation2Tests {
    @Test("RandomShear: each image is Keras's shear with one of the two signs; both signs occur")
    func shear() {
        let x = images(), per = 90
        var signs = Set<Int>()
        for seed in 0..<6 {
            let y = withTrainingMode { RandomShear(xFactor: [0.3, 0.3], yFactor: [0.2, 0.2], generator: RandomGenerator(seed: UInt64(seed)))(x) }.doubles
            for i in 0..<2 {
                let img = Array(y[(i * per)..<((i + 1) * per)])
                let plus = Array(R.shearPlus[(i * per)..<((i + 1) * per)]), minus = Array(R.shearMinus[(i * per)..<((i + 1) * per)])
                let isPlus = nnIsClose(img, plus, rtol: 1e-9, atol: 1e-10), isMinus = nnIsClose(img, minus, rtol: 1e-9, atol: 1e-10)
                #expect(isPlus || isMinus)
                signs.insert(isPlus ? 1 : -1)
            }
        }
        #expect(signs.count == 2)
        #expect(RandomShear(xFactor: 0.3)(x).doubles == x.doubles)
    }

    @Test("RandomGrayscale and RandomInvert match Keras; Solarization's rule")
    func colour() {
        let x = images()
        expectNear(withTrainingMode { RandomGrayscale(factor: 1)(x) }.doubles, R.grayscale, rtol: 1e-12, atol: 1e-12)
        #expect(withTrainingMode { RandomGrayscale(factor: 0)(x) }.doubles == x.doubles)
        expectNear(withTrainingMode { RandomInvert(factor: [1, 1], valueRange: (0, 1))(x) }.doubles, R.inverted, rtol: 1e-12, atol: 1e-12)
        // Solarization with no addition and threshold 0 inverts everything; with threshold ½·255
        // only the values at or above it, on the 0…255 scale of the value range.
        expectNear(withTrainingMode { Solarization(valueRange: (0, 1))(x) }.doubles, (1 - x).doubles, rtol: 1e-12, atol: 1e-12)
        let s = withTrainingMode { Solarization(additionFactor: [0.1, 0.1], thresholdFactor: [0.5, 0.5], valueRange: (0, 1))(x) }.doubles
        for (a, b) in zip(x.doubles, s) {
            let v = Swift.min(Swift.max(a * 255 + 25.5, 0), 255)
            #expect(Swift.abs(b - (v < 127.5 ? v : 255 - v) / 255) < 1e-12)
        }
    }

    @Test("MixUp: images and labels mixed with one Beta weight per sample and a permutation")
    func mixUp() {
        let x = images([6, 1, 2, 2]), labels = Tensor.eye(6, dtype: .float64)
        let m = MixUp(alpha: 0.4, generator: RandomGenerator(seed: 5))
        let r = m.mix(x, labels)
        #expect(Set(r.partners) == Set(0..<6))
        for i in 0..<6 {
            let lam = r.weights[i], j = r.partners[i]
            #expect(lam > 0 && lam < 1)
            let own = Array(x.doubles[(i * 4)..<(i * 4 + 4)]), other = Array(x.doubles[(j * 4)..<(j * 4 + 4)])
            expectNear(Array(r.images.doubles[(i * 4)..<(i * 4 + 4)]), zip(own, other).map { lam * $0 + (1 - lam) * $1 }, rtol: 1e-12, atol: 1e-14)
            var want = [Double](repeating: 0, count: 6)
            want[i] += lam
            want[j] += 1 - lam
            expectNear(Array(r.labels.doubles[(i * 6)..<(i * 6 + 6)]), want, rtol: 1e-12, atol: 1e-14)
        }
        // The Beta draws have Beta's mean and variance (4000 draws of Beta(2, 5): 2/7 and 10/392).
        let b = betaDraws(4000, 2, 5, RandomGenerator(seed: 9))
        let mean = b.reduce(0, +) / 4000, variance = b.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4000
        #expect(Swift.abs(mean - 2.0 / 7) < 0.01 && Swift.abs(variance - 10.0 / 392) < 0.003)
        let small = betaDraws(4000, 0.3, 0.3, RandomGenerator(seed: 2))
        #expect(Swift.abs(small.reduce(0, +) / 4000 - 0.5) < 0.03 && small.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("CutMix: exactly the box's pixels come from the partner; labels weighted by the area kept")
    func cutMix() {
        let x = images([4, 2, 6, 5]), labels = Tensor.eye(4, dtype: .float64)
        let r = CutMix(generator: RandomGenerator(seed: 3)).mix(x, labels)
        let v = x.doubles, out = r.images.doubles
        for i in 0..<4 {
            let (x0, x1, y0, y1) = r.boxes[i], j = r.partners[i]
            for c in 0..<2 { for row in 0..<6 { for col in 0..<5 {
                let inside = Double(col) >= x0 && Double(col) < x1 && Double(row) >= y0 && Double(row) < y1
                let k = ((i * 2 + c) * 6 + row) * 5 + col, src = ((j * 2 + c) * 6 + row) * 5 + col
                #expect(out[k] == (inside ? v[src] : v[k]))
            } } }
            let keep = 1 - (x1 - x0) * (y1 - y0) / 30
            var want = [Double](repeating: 0, count: 4)
            want[i] += keep
            want[j] += 1 - keep
            expectNear(Array(r.labels.doubles[(i * 4)..<(i * 4 + 4)]), want, rtol: 1e-12, atol: 1e-14)
            #expect(x0 >= 0 && x1 <= 5 && y0 >= 0 && y1 <= 6)
        }
        #expect(r.boxes.contains { $0.1 - $0.0 > 0.5 })
    }

    @Test("perspectiveTransform matches Keras (bilinear and nearest); RandomPerspective's edge cases")
    func perspective() {
        let x = images() * 0.8 + 0.1
        let corners = [(0.0, 0.0), (5.0, 0.0), (0.0, 4.0), (5.0, 4.0)]
        let end = [[(0.3, 0.2), (5.4, -0.3), (-0.2, 3.6), (4.7, 4.4)], [(0.0, 0.0), (4.5, 0.5), (0.6, 4.2), (5.5, 3.5)]]
        // Keras solves for the homography in float32 (~3e-7 here): bilinear values compared at 1e-6.
        expectNear(perspectiveTransform(x, start: [corners, corners], end: end, fillValue: 0.25).doubles, [0.37688820939627116, 0.6322256540625467, 0.8051796253606838, 0.8521199148117597, 0.796105142543259, 0.7043737784445696, 0.6240119186980442, 0.6314963468171134, 0.4610221100696779, 0.32470663700557906, 0.23569640258466368, 0.19235396210545563, 0.17754159532660943, 0.18784048282949276, 0.2520665991606735, 0.34727228626853596, 0.4585044546031626, 0.5573829435725559, 0.7005863427203264, 0.7848397907396102, 0.8620192367463363, 0.8546259477856837, 0.7818411646550512, 0.69505595156571, 0.4458044729461987, 0.3726808802972914, 0.2648376667605768, 0.25087001455575464, 0.29362183140073056, 0.32852493486139434, 0.1993138060188768, 0.18966504812037235, 0.3024638028216902, 0.47122397294249985, 0.6054145249296814, 0.6806556670564098, 0.6436546199223182, 0.8711329486238822, 0.879567491046371, 0.8026455738116403, 0.7029609805171898, 0.5982354892009606, 0.44220897261840253, 0.31597559425804095, 0.20338676102848652, 0.1292906156251808, 0.115806635337775, 0.1407738014353743, 0.39673002216840064, 0.43964162486192154, 0.5290306772823158, 0.6270657768736563, 0.6736474993422974, 0.657907696925655, 0.6255327214439128, 0.7372716259572839, 0.7685599928338321, 0.6802425559413865, 0.6172989607712336, 0.5493193518463793, 0.28503833519966304, 0.23634312609259767, 0.137850165769871, 0.14188108772933325, 0.22587083996195087, 0.33328787948489513, 0.2919809431374301, 0.44587450118989475, 0.6181071043184316, 0.7383865073196498, 0.8066152898510921, 0.8281253920775767, 0.7885941906675327, 0.7737955713687822, 0.6860978297470146, 0.5754451670333448, 0.46140196563572905, 0.36772843305855585, 0.27788475291232484, 0.20257717483546503, 0.14403284816792142, 0.1718637156781424, 0.25435948615815873, 0.3084918403648604, 0.3947348893671739, 0.5808278379189383, 0.773206362116147, 0.7867055212511423, 0.7308317238518072, 0.6051682903606994, 0.8484560000676705, 0.6945363257617387, 0.5238068874770304, 0.36365301678646866, 0.2587096563808655, 0.25, 0.18234267154581413, 0.127703715739309, 0.13336474860512643, 0.21367017751963002, 0.3165443069333176, 0.3106044835239734, 0.5304351099145409, 0.6720643848505514, 0.7568534861571431, 0.8156786988613945, 0.8246575441848948, 0.7604061671919046, 0.5944709925246556, 0.6808246122811071, 0.5425343972696605, 0.40802123242941707, 0.31239036881432125, 0.299479268010842, 0.24598923720061164, 0.177377293617558, 0.12949859295399854, 0.2017778477657052, 0.2922840100193858, 0.3712093833415319, 0.7316656112177083, 0.7442479077092491, 0.6993232340371627, 0.5863914856388782, 0.42082843414574955, 0.25, 0.5392380674517407, 0.5041749081561596, 0.395342859625455, 0.31156514438346894, 0.269904568589049, 0.27104441059648954, 0.19095718150264665, 0.22159331584379027, 0.3067948681809445, 0.426876407923625, 0.57276857548357, 0.7197256587850063, 0.6391745362268104, 0.8481545037408325, 0.8367760261303785, 0.7664289838640297, 0.6366550691886222, 0.47394525492233425, 0.4336001429668035, 0.47633862785032677, 0.3175583872468248, 0.21726236088307133, 0.16450191448656976, 0.16945237472429237, 0.19983980568182458, 0.2953546036992463, 0.3865427663737043, 0.44160652072531115, 0.4161087721086971, 0.25, 0.7755412127116889, 0.8731666359381458, 0.8448171624033372, 0.7470464211354138, 0.6354872259262291, 0.40483843902792865, 0.30938817072139946, 0.2698956019308561, 0.202868643221093, 0.16907707572222647, 0.19051267019327334, 0.2854004921524899, 0.2975144924803969, 0.3917558721295783, 0.5276739925452376, 0.6475217650102842, 0.7160983941122363, 0.6950890457733689, 0.5654863173847532, 0.8176899715362969, 0.832467355379955, 0.6805906629814472, 0.5123638046739939, 0.35794526118337366], rtol: 1e-6, atol: 1e-6)
        expectNear(perspectiveTransform(x, start: [corners, corners], end: end, interpolation: .nearest, fillValue: 0.25).doubles, [0.5794677323180245, 0.7158528194935878, 0.8230232401620458, 0.8864739806450936, 0.8976172808792304, 0.8549449474533501, 0.7642324805116804, 0.6377573869033559, 0.49263747722677853, 0.3485140504684008, 0.22489353632641038, 0.13850739145987775, 0.1010475753207627, 0.11758409829155277, 0.1858788195644878, 0.29668836900029666, 0.4350151939139384, 0.5821374074738219, 0.7181427082561208, 0.8246234168296596, 0.8973109660383239, 0.8973109660383239, 0.8536798878807651, 0.7621798960859035, 0.6351950852973077, 0.3459947516928876, 0.22292113733032626, 0.1373488471944011, 0.1373488471944011, 0.10085968931724874, 0.11839230003916419, 0.1875737227481314, 0.2990405764252161, 0.4377063453398745, 0.584803268180037, 0.720422466502146, 0.8262085180317252, 0.8878437769590467, 0.8969862001323687, 0.8523984034642278, 0.7601151360628468, 0.6326265052506255, 0.48718749913179416, 0.3434826048993152, 0.22096160583742114, 0.13620714439715054, 0.10069033933329008, 0.11921822359436979, 0.18928313496388585, 0.3014021163773334, 0.5874651906344771, 0.5874651906344771, 0.7226919883600139, 0.8277784701563674, 0.8885016736953716, 0.8511005537156932, 0.7580382963296745, 0.6300517660478042, 0.6300517660478042, 0.48446333933177943, 0.3409777267514269, 0.21901503284806134, 0.13508233608864187, 0.10053953323347598, 0.12006183060139608, 0.19100697682689183, 0.3037728791870672, 0.4430972018062368, 0.5901230512178385, 0.7249511684334514, 0.8293332002952319, 0.8891415284689375, 0.8962813763098071, 0.8497863989071199, 0.7559494733345296, 0.6274709872593689, 0.4817399010520864, 0.33848023357540874, 0.21708150876082058, 0.133974474504815, 0.12092308188325318, 0.12092308188325318, 0.19274516828217478, 0.3061527547565295, 0.44579665649605016, 0.7271999018064543, 0.8308726362468714, 0.8897633115649802, 0.8897633115649802, 0.8959013511251191, 0.8484560000676705, 0.7538487640820541, 0.6248842887363193, 0.4790173107688064, 0.25, 0.25, 0.13288361109460456, 0.1002935798384364, 0.121801937443554, 0.19449762860837222, 0.308541632564634, 0.25, 0.5954260932430174, 0.7294380840481617, 0.7294380840481617, 0.8323967065200968, 0.8955029403376998, 0.8471094189808805, 0.751736266128893, 0.751736266128893, 0.6222917906045715, 0.47629569491864265, 0.33350786572355606, 0.13180979651755187, 0.1001984439652519, 0.1001984439652519, 0.1226983564683696, 0.19626427642147087, 0.31093940167223233, 0.4512029919832963, 0.7316656112177083, 0.833905340337301, 0.8909525480630034, 0.8950861624496895, 0.25, 0.25, 0.6196936132593707, 0.473575179893056, 0.3310332219637837, 0.21136012478272473, 0.1307530806414562, 0.25, 0.12361229732812783, 0.1980450296785981, 0.1980450296785981, 0.31334595072726756, 0.6007114091769202, 0.7338823798690476, 0.8353984676377444, 0.8353984676377444, 0.8915199462370101, 0.8946510368161942, 0.8443679609540125, 0.6170898773597051, 0.4708558920323762, 0.4708558920323762, 0.3285664249972769, 0.20947968810753978, 0.12971351254005214, 0.10006387595783083, 0.19983980568182458, 0.31576116796994197, 0.45661839186989794, 0.6033471129179369, 0.25, 0.25, 0.8920691622801081, 0.8941975836443867, 0.8429732113268589, 0.74532902381631, 0.6144807038226987, 0.25, 0.3261075893817377, 0.2076127431545325, 0.2076127431545325, 0.1286911404907353, 0.12549257396759583, 0.20164852108200662, 0.31818494123790864, 0.31818494123790864, 0.4593291766642643, 0.6059780172336519, 0.7382832303358183, 0.8926001706867828, 0.8937258239925685, 0.8937258239925685, 0.8415625340722972, 0.7431703575076215, 0.6118662138180098, 0.46542150287625794],
                   rtol: 1e-9, atol: 1e-9)
        // A translation as four points is the affine translation.
        let moved = corners.map { ($0.0 + 1, $0.1 - 0.5) }
        let affine = affineTransform(x, [[1, 0, -1, 0, 1, 0.5], [1, 0, -1, 0, 1, 0.5]], interpolation: .bilinear, fillMode: .constant, fillValue: 0)
        expectNear(perspectiveTransform(x, start: [corners, corners], end: [moved, moved]).doubles, affine.doubles, rtol: 1e-9, atol: 1e-12)
        #expect(withTrainingMode { RandomPerspective(scale: 0)(x) }.doubles == x.doubles)
        #expect(withTrainingMode { RandomPerspective(factor: [0, 0])(x) }.doubles == x.doubles)
        #expect(withTrainingMode { RandomPerspective(factor: [1, 1], generator: RandomGenerator(seed: 1))(x) }.doubles != x.doubles)
        #expect(RandomPerspective()(x).doubles == x.doubles)
    }
}
