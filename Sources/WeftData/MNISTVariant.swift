/// Which MNIST-format dataset to load.
public enum MNISTVariant: String, Sendable, CaseIterable {
    /// The handwritten digits (LeCun, Cortes, Burges).
    case mnist
    /// Zalando's Fashion-MNIST: 10 classes of clothing, same format.
    case fashion

    /// The dataset's directory name under `$WEFT_DATA_DIR` or the cache.
    public var directoryName: String {
        switch self {
        case .mnist: return "mnist"
        case .fashion: return "fashion-mnist"
        }
    }

    /// The name used in messages.
    public var displayName: String {
        switch self {
        case .mnist: return "MNIST"
        case .fashion: return "Fashion-MNIST"
        }
    }

    /// The official location of the `.gz` files (ends with a slash).
    public var officialBaseURL: String {
        switch self {
        case .mnist: return "https://ossci-datasets.s3.amazonaws.com/mnist/"
        case .fashion: return "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
        }
    }

    /// SHA-256 of each official `.gz` file, keyed by file name.
    public var checksums: [String: String] {
        switch self {
        case .mnist:
            return [
                "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            ]
        case .fashion:
            return [
                "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            ]
        }
    }
}
