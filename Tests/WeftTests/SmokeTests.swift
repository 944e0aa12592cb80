import Testing
@testable import Weft

@Test func addBroadcast() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6] as [Float])
    let b = Tensor(shape: [3], scalars: [10, 20, 30] as [Float])
    #expect((a + b).scalars(as: Float.self) == [11, 22, 33, 14, 25, 36])
}
