// Regenerate with the script in KerasLossMetricTests.swift's header comment (Keras 3.15.1, torch backend).
enum KerasLossMetricReference {
    static let poisson: [Double] = [0.5154550671577454, 0.7613339424133301, 2.1572210788726807, 0.71478271484375]
    static let categoricalHinge: [Double] = [0.011155815795063972, 0.0, 0.0, 3.3240272998809814]
    static let binaryFocal: [Double] = [0.5040515661239624, 0.12048855423927307, 0.5211281180381775, 0.12797625362873077]
    static let binaryFocalBalancedLogitsSmoothed: [Double] = [0.3400334119796753, 0.11558659374713898, 0.17304112017154694, 0.11472192406654358]
    static let categoricalFocal: [Double] = [0.008961463183268702, 0.0506793895015164, 0.6277936456225067, 0.04004954873244072]
    static let categoricalFocalLogitsSmoothed: [Double] = [0.08322723276297096, 0.16599012533671217, 0.1784428221214401, 1.1498986803435864]
    static let f1Macro: [Double] = [0.5111110806465149]
    static let f1Micro: [Double] = [0.923076868057251]
    static let f1WeightedThreshold: [Double] = [0.6249999020833403]
    static let fbeta2Macro: [Double] = [0.7962961792945862]
    static let f1PerClass: [Double] = [0.33333327777778377, 0.7999999200000041, 0.39999993600000633]
    static let r2Uniform: [Double] = [0.9123163223266602]
    static let r2VarianceWeightedAdjusted: [Double] = [0.8922573686298277]
    static let r2SampleWeighted: [Double] = [0.9036872386932373]
}
