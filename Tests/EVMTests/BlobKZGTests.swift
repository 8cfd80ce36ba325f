import Foundation
import Primitives
import Testing
@testable import EVM

/// Hex without prefix to bytes (test literals only).
private func bytes(_ hex: String) -> [UInt8] {
    (try? Hex.decode(hex, requirePrefix: false)) ?? []
}

/// 32 big-endian bytes of a value below 2^64.
private func word(_ value: UInt64) -> [UInt8] {
    [UInt8](repeating: 0, count: 24) + withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

@Suite("EIP-4844 blob proofs")
struct BlobKZGTests {
    /// The blob whose i-th field element is i² + 7; its commitment and blob proof were computed by c-kzg-4844 2.1.8
    /// (blst) with the mainnet trusted setup, as were the evaluation and the challenge below.
    static let blob: [UInt8] = (0..<UInt64(4096)).flatMap { word($0 * $0 + 7) }
    static let commitment = bytes("9557ada58d1ea7f48806d66720bb05d148ce52dfab866d26b638e3c838db4d390a37ff3ea7fedf29e9c9181b3ea9e589")
    static let proof = bytes("8fead259f64e49547c34dd870f035051d38ed123f33c2fba24ec404a5a45563ff7df314c83fa96c64cdef9bc84909697")
    static let infinity = [0xc0] + [UInt8](repeating: 0, count: 47)

    @Test("F_r: inverses, batch inverses, the roots of unity")
    func scalarField() {
        let a = BLS12381.Fr(small: 123_456_789), b = BLS12381.Fr(small: 987_654_321)
        #expect(a * a.inverse == .one)
        #expect((a - b) + b == a)
        #expect(BLS12381.Fr.batchInverse([a, b]) == [a.inverse, b.inverse])
        let roots = BlobKZG.rootsOfUnity
        #expect(roots[0] == .one && roots[1] == BLS12381.Fr.zero - .one)  // bit-reversed: ω^0, then ω^2048 = -1
        var omegaToTheN = roots[2048]  // ω^1
        for _ in 0..<12 { omegaToTheN = omegaToTheN.squared }
        #expect(omegaToTheN == .one && roots[2048] != .one)
        #expect(Set(roots.map { "\($0.l0),\($0.l1),\($0.l2),\($0.l3)" }).count == 4096)
    }

    @Test("Challenge and evaluation agree with c-kzg-4844")
    func challengeAndEvaluation() throws {
        let challenge = BlobKZG.challenge(blob: Self.blob, commitment: Self.commitment)
        let expected = bytes("3fc0bf10ee2347f21bc11cb69d70b4c56ef11505b5464acfd294866e3c9748fb")
        #expect(expected.withUnsafeBytes { BLS12381.Fr(canonicalBigEndian: $0, offset: 0) } == challenge)
        let polynomial = try BlobKZG.polynomial(Self.blob)
        let z = BLS12381.Fr(small: 12_345_678_901_234_567_890)
        let y = bytes("3f12f8b0f93f15e1b16a319a6e004685d7b96022f55f65b34a52c922cfc551a8")
        #expect(y.withUnsafeBytes { BLS12381.Fr(canonicalBigEndian: $0, offset: 0) } == BlobKZG.evaluate(polynomial, at: z))
        // On a root of unity the value is read off: -1 is the second root in bit-reversed order, so p(-1) = 1² + 7.
        #expect(BlobKZG.evaluate(polynomial, at: .zero - .one) == BLS12381.Fr(small: 8))
    }

    @Test("A valid blob proof verifies; the empty blob opens with the point at infinity")
    func valid() throws {
        try BlobKZG.verify(blob: Self.blob, commitment: Self.commitment, proof: Self.proof)
        try BlobKZG.verify(blob: [UInt8](repeating: 0, count: BlobKZG.bytesPerBlob), commitment: Self.infinity,
                           proof: Self.infinity)
    }

    @Test("Each way to break a blob proof is refused with its reason")
    func invalid() {
        func failure(_ blob: [UInt8], _ commitment: [UInt8], _ proof: [UInt8]) -> BlobKZG.Failure? {
            do { try BlobKZG.verify(blob: blob, commitment: commitment, proof: proof); return nil } catch { return error }
        }
        var changed = Self.blob
        changed[32 * 100 + 31] ^= 1
        #expect(failure(changed, Self.commitment, Self.proof) == .proofMismatch)
        #expect(failure(Self.blob, Self.commitment, Self.commitment) == .proofMismatch)
        #expect(failure(Self.blob, Self.proof, Self.proof) == .proofMismatch)
        var nonCanonical = Self.blob
        for i in 0..<32 { nonCanonical[32 * 7 + i] = 0xff }
        #expect(failure(nonCanonical, Self.commitment, Self.proof) == .nonCanonicalFieldElement(index: 7))
        #expect(failure(Array(Self.blob.dropLast()), Self.commitment, Self.proof) == .blobSize(131_071))
        var offCurve = Self.commitment
        offCurve[47] ^= 1
        #expect(failure(Self.blob, offCurve, Self.proof) == .invalidCommitment)
        #expect(failure(Self.blob, Self.commitment, Array(Self.proof.prefix(47))) == .invalidProof)
        #expect(failure(Self.blob, Self.commitment, [0x00] + Self.proof.dropFirst()) == .invalidProof)  // uncompressed flag
    }
}

@Suite("EIP-7594 cell proofs")
struct CellKZGTests {
    /// The 128 cell proofs of BlobKZGTests.blob, computed by c-kzg-4844 2.1.8 (compute_cells_and_kzg_proofs) with
    /// the mainnet trusted setup.
    static let proofs: [[UInt8]] = {
        let all = bytes("b03885671e55ee710348bde1bc96e87d33c05f9d6b502ebd047d78e45e8c10da516cba5b90d1062c3b72b61730236c3e9833892c27490ad172916193e3cd3471512e7a1d66b333718edf9830d35e5c5f78a5589e334156927a4d117043e30600a1b0c2ed2e66752afa6e8f722a047e16587ee47c10fa681393e9b0eafe76bd0dffeeb409a6d7dd6d8e6d75dc0b12f487a6795c1cf203fd6a78a3bb3316b98f3d5488289a251cca8148edd3de84fe9119261fbb5437e2ef4489b70663013f3a158a438ada8e9668315a928159acc86007b4a1025c129c6ac83a8d210f54247c867a4d5a949ef15aebe5d5e8b5165d0b288e3c8c291159c430a1927dad11b938acbbd9bd55b158bce42b8b4101e7d878d5ee0cae9befc25c624f5375fc293fdaef8578e113328b37b98e58c88ab8177cf08b982365775d9d2b7d20aa9f9cbb94fcaa0763f17e83d4747d591b7db66dce368b41001cc541e0f2496649026b630e57ea14e9444417c5591ee21437f0ad07298f577bc50e6c4d72a85251dcaaa3f2bd914e2cde9824ab4ecc32d7682a58fadb0ac56cd6b1625459795661886eceb3136ab23ca58a95884c5119c686a155ff0e8a1c0099ccedc847abf087b355cf66358439ebe83945e201045151a0126eab5bbc2c01384fb43735aa6439732e39cf6094800c93fca040a1ff077e5995be48af2957b36c006cccd67f138ccf277b0a2aa12843dd44ff3ac4dc9856632b6d294da8d9dc2bb6192cf9e7b303d6164c72a4a66ea99ec6000676d729770f9cf09f6193d7f6c54a9e1bae485d1cc22c660e9ba181cc8fdc33a1628bd48940008a6c0766dc04cbe9066d7671e9e49bd12eb0772bde34c7cfa2fc9ec5b5ed7643c968bdb053df4e901850621b2482125f49d21f5923694b602b2e74ff2f8181b94cba1011173cf945ea31b788297fe5941ab9f18805208f0aace523b5676ae4ff0c83322915333a43006525afd9973a011bcbe6dd5d4dcd460a9031c039d760f9c2447c912c8ec9c5d132493d249a923a1722b8bf623d8debc6def9ddd9c5dfbed68abac136dcbce459222e13830964c852368bb71170b2969c6e8dcb6dab1fa6a0c6033f23cda75ee6dee9c6224d971ee279f54c21fb9dd9b88883bde6879e2088479ea627aa1f2fe1fe24597c738651d4e2adca0f46fba36231e9e0f3543e8d23c636be0db901f9110969b38d53d4ce96078399512431e63328f990c7e13f18e458c2f6e5cbfe99306c82cccc3d345fec23c16966587fcd1584b89a54cde176bf3530b9083d83229ab3260019549a68fa6e8e7d9ffaeb75ab6268cbbee37ce4fca10330fde3530cf91de0863a086992f2b839937bb672b48e57589fad4c14aeb7d0c3f7cd2ad9f19c1e300d21cecbf288c260022302d97878c15121a95d1a8be5f17492d19a452adfc0b938944c21778c8c11f16aef788e4024536d5e518ebfa2ec1781925c58a84f481bb731cd92e55e03c582d504f2b9259844efbd56c2518c02043f5ef9de5ec698e512b2f6b9832b6cefa59a92d8b704d34240ac65c44e637e508617bfbd78579d7f78b8942738a3c8fae8ad5cb4542ebacfb844eab508b5c8c50ff941d524ee9bb83fae1cba7c6518c9b6bb8ecb81c5bc7844742c2e175d0a708b88e04e2fa28997a6b0bd906ecdba9ec0da80bed1a037900cf1f219ae05c4039947c1f473e92cd9e572b89dc2c328c6a5612333e632226f690877b6caa615c7f24ac17059c2330e85c1d46481d90a25b741b05ab67c60fb57599c4a70bc49a02f95e99979c0be620830a3e9332b1e829275d96afbcc65c5fc26ac8926b3c1faa8ab7e3051e6ec7d2e5ce9c57df8612504c7bd1a889d29bc0db51c9ab42e80f41d7a936dbd6ba4e74c43fa1f09af93048f3cebf375cf58876702f20010b33f6de0032ad88eed2c71dcefe091ea4b2f842f24cfd1ae7f2791cc20881f87c6728591d6d8f9ad86e974e1abace2efd98248e495ef65c440d1e6d7ae2d38e9e10c075140cb9b1b1866875a0011217bbeab3691beb504597c95898def59fff4d871c1bf444ca05376823279aa3de29e56541a8016890187fccb3df8b43861a564eb27b1b27f3c5b33e9734d9d31eb5c5e8d52b99db36a179ba4217eae71c32430de55dbb4257cddd30aeee442e16167d2301f914c0da0f2053b3663bf14b53f5554b66eed44bd89797b8ceccf133f86335f1f4247ff06a74d00dbeef5cdce47678fbcb38c75747dac4780749a35cb2ef17141314442272e37fde914060c3589f55621ddcf85191b3438c5e56be9311ff72b488b7e315817534ecac1ed3d0af18251313e0be285d4ff722896765a5138d47e8d1f44f27e5507d5f78612569d052b25e3994639d136d1ea252fc4b0e77b6f8fdbd6f6e5bc1713c37c30027fb182c495d04728a991f949362e31aadb8308c01a9e96a51662c26e83460834ab4c68a5c343e178ae258186ca77e23243b0712f9b61a1c2529511f315d91c3ec5f682aa2ba4a78bdc15880e63750ef2d433291bb4a5c2c92be589cf415c811dda7590592c55926615578f83eb20b23e2c48e6cdb66fb45c322dfd980cb1322e33a19d467e178be45f9de8fdb832d3a1723acdbe67351e871f334ed39772ca1f46ec0532c42c827145ba2efd07ac974c8ef44f939b38c32042dbdedb85b0bc6fa53bc4b9b0ff8ef05078cf06d4d4228e628de3c9ec99b4504a06811858a9d66fb66e69d8c54270c39047f94a2e56a2db809a8ddedfe8b0240416d62cdffbc6cc2f13cbf95e798dad340a6217c08ecb616cc521734b2a1687ca6b4f4522383d9b2bb2f13acf7abb23911fe8567a56634171ff73099bf3b24e101137e2fc8598291a5bf3fd0c5f5af11a652dcddcb4a8a0f51b6b9ddc8ac52f00ab4e8a2cca448ba49f1e21e0a2acd7b91170388f65bc32c5127437b0d835984d840818c090cb123e35eda81dc3ba89ed3626a1aa50048de26eac05d3788ce817d78faaaa7ab9dc4bb517da4f009703a9b6348acb8d8c02af5d5a437107f2ee9ac2612cc4c6246ffa96a63439c1b9f7e08f017b93663bbc143a70838db2f2dcbbcb11f1793941353bae5fff42d593defa4608bcf3bd5cc5ca83a912850989b412bb11447aa13f4174a1c8c79fccbb5fc54322b4425946dde20e6d2b90378d79852f905f494910f80bd567e91c6d85cbf74dd3c5416839b5de8677c9c21cdbbb34ba8f2af364715872f99b5ded0d281eddd9cf5db929da6c55dc05239d7b8efe54bfdcb9aeec5919c30a0bde569a37258c8521df53e24549117e704cc032c140a74a5c590d62dac76612fc6f1d5a91d0dedf1d6bebbebdd03b631b06675aa5a545a8a108b336c378287ac0561c70f9f97e4c1dc51b8d5e5ce9918691160d933d9f64303e80d5901d2e3d480875bff13721199a267d70542ddfbe8d54baac1ec73ec2354822efdc9290c2f65528598df32c32ac765ef58a1e189ded76e899059e48f39f4853a99718cdac8462c31f07591746d8b756cc75054bbb7df77f17ab2f2f842f5e37a06abb7b72c3715931b16d4897f8611964beb7dc5e389cc22497e42318d65f154a5de655e0f31e503b98204b57b9e320433de7ed6c44178ca091f313b398b01d1099cbe7660dd63c5f37e61be4546ad93c1d1d33142cdbb132b1a691fa9b1cb9736baa7e47c7927322074ad51f72cc7ba2766c1348a3b50b018c414a99ad9d3a766ee2f5002308ea418f235b919dfef4854feb36cccdd65b69c94d3719ea6ecf8eee7e3baab91a20cf9eab871316a9546572e3fa91ff2c35bb8cfe56dfad0df1aebc824c8c4d596f37c5ed7176a48b245f93702681b4daa21245ce7d57fe59099ee478157dba641dc8b9998d885351069d264cb031eadde6879c73f1bacec750f40062ef5e1573eb13c7950ba4ac30c76f77fe0af72f79f0cd827603f1b343ffc057d14826576d64dc189ee71c52ed0e86d71b1e705428c24eba566a122bbc771bd5a5d14b6b75e6949367735079e0d47d1d4a5cd3ec457d859478832e9cb16ffe9619cd9319c1b4d82f47ce5cf382ae907db5844792be8ad3b1c676e32166420fa05f5e4e097c6b6846826712192d6630c16c9f166daece0820028e19b56ea9f18b2eb53fa69ec12c8f674d3e0bb8f5ddede541cb2f6f8b217fe32a9cec072508cb4f7526654c4d838d975e204d2aa59a3e470e31b8f2db7eac9409305292e952224c3c1a9b12bb7a371cc25c0e40d4ad41386ad236689f92c04becdd139045541d973e88a0acf543b451207d9ed5c655d75e342c5d5cc028a4c033647fc4e12e006c9acd3266fcfcb2f96b64d751eac230fe6304e1cd66ecb307c38d39cd83cbae14c72e74b1bd101f27ac305905f0d64905f264bc0aa5b5b7134d9b8375ae10d049f56503dc0051b4a96f1e19221368bcda389957f79089d7a41e9475b4ff9ea8c331273a1a5613f232f1a2b29934c2656e7976e5b2eb0f8bcf9e61f1997f5785e9835721d65aa0dbbd62eec5649951ce343ccd72135de980f9d82a38f23f9e7b3cfbcc22970e51aec365c859dd37e7625b0b9cfed96cba8435583840004f58a6e9a6abb46d85a6c4bdc3fb6c23fe8a5e14d8b05bd4f32c8bae4b9ba3014810f5609360b19a53fd3dabf75d01d4891c26556b3b297d5b53357d5740bbd7e411fa9db4b340c550b1ab91a621fb6b00632564ffaa0db7e51a94b7122326c071a96cb2aa858bd0fed3cd87904d2ee214310ac8b419f4f11c65991ec958481bd4e4d481d74fd634efeb5a992de902fc491191ec2cc22fabc7ffb30253be4e655d347284339a40367bdf853801ffc08472412e161dbd4627982b3212e43957bcacd67122769ed22537ba7f43a1cda0be778052da554ed90d69f9a211e399001d928709ddeb1cf54be121074dcc9b4434297bf302db4e9aa7cd16b9df8f9b7265ebb4d9a2f49869f9e7868badc1b1f4fb24e52d5b3cdaf24597153db928853e8ca82440230a82ecb7b6f837d21576d9426df8040d6d0633a54bb1a041d3804144b6b1fb3b2131feee289ebf727c710c83b3611aa2a88199a4e754caad0a8291e875c38af3d9f892e495fdb01668e5cda4a16c8099e3b438ef2c2a88cb347c00542c8d37238fc398f3c06bef4757702d980ea5c4ccf5cfd8f95ccfac90433cbdc8cc9560bbcb3964cc10fca9cabb73095ae8b28740007a4517da57bf6e5dc94d0b460945dafe40b74b4979b858b493d64c928c78e20b6ae5e44af540a30493d91ad665bd7f464e8dad5f238a3a96d29f09170190898753634b30928f889a7572d37a4c8e0ab6eea0ce8739499ad92b4d159f09a2701e313c47fe76dc24e2a7bc7557f67e262b3275e36b2d8f30088acd7a39867edadc597852015be7952ee9d4b4d628e96308d044399bfa2b53a5bf090973bb6dd0452365f20e5695c69345f6d727375eef0e1273d4a8a1ed8d03da9b1d06155c45f02655a3d4c2edc93a8eac94a35ce866b7a3965f8ad28c6e53fab1625582ee8cd32fd4607ffd477c37f64c891560923d4f77186d9fed0ffcde840353fb7951bb7cb5ec50c01280184cc813bcd20a3d1ed53a3dd95bc8592a1e51f678d6f868eedb56e701403cb30773a2d1a7b96c00cde5d2088071798c28eac7a2e5bf4c646e79cf7e8db2a27b008c8daa20b2b30714a85bca00a64589b3f27bd82120ecdba68d6fedad11bcaa7ee7c96a4178e6b60d5d9ce8e1151dd2eb403dc132586bdf9980a196fae2ad8887afd7cbe370b1f41c8f019dc3ebff84a4c440fad54a4f33b0a5b2a89dd685d382e3fec1d03b7cefbcc68f6d74dae1a4e3def68a43f89927d28677f3b0845992b51ab16443075a335a547b907adcb553abd5b57a99e728d23560050e4c80d3e06734e2c35e49c935c8565de29a6870b8ce382cd52a38342c7201d0f906d5d7cba6a5c62323f6125004625167d87f76a39999cc5f185dc5cbd7f15006d673ba87cf164357ed3e523a0d0ff25fa898848344b8eab4a5437d22cfb34083e687d88420cc1b012dfaa8c35f6773368576758842956413656abbfaa7f0781feabce1048685c699ce6d800d367d4d2cc066986fcfe1a637e0baa22803ac71076da40cab1a6c5c826816a608055957d36ea54271b4e269ffaee7c3336e6693b67e2cd8bb16a1ee272262bee4a10e694a77017399e5b1bcefdd9b7573e08dd61552cf0a7668dd465cb76232c4b3079692a63831cacddebe77a82b3d227d2580df849dfe93fa2fac26062e59878edffc83f1bf340f9386586ea2f25cfd16449ce061f22c3fdbc58855b26ce10aa44c2a068f67c3a106630c790f72d294ec5d48e0cd00986b3ac0375893d9b5d8e8697355bd102ec65f6645ad9393719032992206f383aba6637468d33b4d43e8b034607bb897fe5b0267f6f282a4a867b54e3f016b9a8dac2e43aaadda766a1bfa45da76828685911cdf95d5b19bef2f9881303efa36e982099366fcec2c18045c6a12052f268aa918dc8966ceac8d48ef76245dd0fc198b66da5881fa31275e8ac89e159196521eb16750e06ed6ed83b6ed63224d29c86c8ca987fff60a3cbed70e84e279e8cd93e6a24681ebace89b69cd102c239d9a2f5eb02a457b2eaf2b30073f0683af63fbfd2c45e852a3a53043aad746c13c3cb8a1558c01f4ef3c47805b8760d64e61a157b5db01af44f9a5a4c2e701b870e3b6751683766ce220b4c894bfddd84b4589073a56a9d0a7ff895c0a9b8b28a00790d7b41a33aeef4e6a5b6cc31d7a6ccbee78f60d75c6c7ef44dfd99be093983494fe3f77ff1f573df163e81b5ae16174da06d6f51b66a540552f3575855d73a490f0d258ad3fa399af6ba7d4493a4321b92ec5024220471c5c74ae5c337ebc65837e959656f439c2114f6e34772ccf15b881ab8f037259647046367058d83b2dae909cb3ffbe90a9358cfb2c0e2a439d2b4dcd4bfe9988aa3c1c3236d7ebbe1fc9cd8b2ce1b9ed256c240c5a9168b8f9a27564671f088a351980e0dd7abb3f9786f486f8164ab216abb93418efe51388524b04b8f63dafb06c0db54747dec4b4a24a7499b5540929168e95e7b45f1f2cca2f6c0f711ea5cbe6179e9042898875c56c48da71fd718984af6982c2405245aa4811851c5cbc33652a6533761ce8860618515bdc6b583d8a4f1c4cb8dc867b2e4c60b3642fd2ae6eb2630041137155a1cecb6747561fa338cddfed1a2d69bb9974bee7048033bd768933a9a3d54c0781f1aec898d704e0caa0f7d26ad7d3c38b01b398a6aa89a6d178cfd5b46a63f52ae93580e9a2a20da7b57f96d07fb9456381e682a2da3b0f17ab83ce7c52fc70b081040497ddcbde69d7c842b5c9a5ba7af18a8f5f962cd8c7b2c916b92c4b6ca02fa9b6ad2bb8d13c7e08233d5f87b6b58528a330162c71bc78aaa7f4a502b892d5776b76fb71fe323199722a88e0e1caa8641da5984392245bbfc371b29dbab76cfc821aa0b75c51c2e5eaf3a153c191117fc8227e916d40b4a8a3c4ed1e6dbb781dfa2e44273c4e0f4efbe4a95cbfb8e016fc9e9dfa0697cdabf242b983441fe17aa7069c4e8c76069888b41f065c96f6feb84baa7a68d958fad8f8427f538c28be0d6b289e753a253465123c6baee02ad6abd3c97391faaf1061af19be518748f7e5b3ecb308d6df1f852782d4b9a51241b547883187300b7664d04d4af5275bfe57e89ae4d73da8beccfe0260fe9cdea97bb6ea690c80d1a9c6623c037099c6501b34b9aec845bff84a3e7acd2bc6945bf53a0b19475531afd453be3694c8f782defb5646fac00b6a2cea2b745c913fec98b1c48bcf91d28b544362d849e08ef56272eebc74b9fcd56875aa6872250d4a434ddb79db8946e19f519fa83ba8b9f495db73ff7996aea4263b7cd216305a6e318b054eb622584add6ea3238d8a50679a5bdc76d9761873b62730b5a083158ba969a81c771b5c9eca15b0cc058299b00adee12fa7eafe1a4ffdcb0df7bf54869234adde442ea420501b0263318bd2d3bac0fa9eab147d81f93b82045c9df289f4a0f54ab55b626bc8c5d50fb202584c3965f774cea40ab55d6aab5b21ae45e215f0b4b15f44098f3c13888a29df13b09c7b6c75239dc5afb37d47bf5222e659c82711797c124301808ba5bca28fc666ab6d7dbab85820d80a93897698bfcab454c44cb3cbaf4c7befc9869ad2e59b837f85d5164cfd479971840dc51bb2239f8fbf4ae5fb64a8769438057802fab026e64309f466770a6f4bf4dc6acd486c3f4cdeda7f8153c3e37e9ae12f62aeb6c5911ff658eb1cb1387c5581863908a0da20b706a99417c5aca683b5dce19bc03b0be5bb9f8fcac52f54f94a61d4adbcfb4011b691482cdd40a80e7cdad5ab6c8382bd170f4911d8632690988e96d8a97d37f014b73fa64bff268710697cb6dcff3164dc61a2b6e9dd605943a7a7fccec36a68ed29e17672fb4074e9431aad43d54cc2a4fc1baa1e47665814b01cb6e339f697cf5c6f696cdfaa3918ff0c773eab014e98fae3832770815692e36607c56d8a9e2644f4d0c7c4bdb3c7dd038a052be5bfba7094122072d224f43d4f9fd1c655b941034e69f4726478a7ddaed63c7e98c40a854162a1ffca439cd0ba8876530b7d9817204627f260008a1fed890f57d08be9041c0cf26c9979f4326607eaf8fa74c126e4500ae8002ac490c9")
        return (0..<128).map { Array(all[48 * $0 ..< 48 * ($0 + 1)]) }
    }()

    @Test("The embedded setup points decompress, and agree with the generators and with [τ]₂")
    func setup() {
        #expect(BlobKZG.setupG1Monomial.count == 64)
        #expect(BlobKZG.setupG1Monomial[0] == BLS12381.g1Generator)
        #expect(BlobKZG.decompressG2Hex(KZGSetup.g2Monomial0Compressed) == BLS12381.g2Generator)
        #expect(BlobKZG.decompressG2Hex(KZGSetup.g2Monomial1Compressed) == PointEvaluation.tauG2)
        #expect(BlobKZG.decompressG2Hex(KZGSetup.g2Monomial64Compressed) != nil)
    }

    @Test("FFT: the inverse undoes it; the extension keeps the blob on the even points and matches c-kzg's cells")
    func extendedBlob() throws {
        let evaluations = try BlobKZG.polynomial(BlobKZGTests.blob)
        var natural = [BLS12381.Fr](repeating: .zero, count: 4096)
        for i in 0..<4096 { natural[BlobKZG.reverseBits(i, bits: 12)] = evaluations[i] }
        var coefficients = natural
        BlobKZG.fft(&coefficients, inverse: true)
        var back = coefficients
        BlobKZG.fft(&back, inverse: false)
        #expect(back == natural)
        var extended = coefficients + [BLS12381.Fr](repeating: .zero, count: 4096)
        BlobKZG.fft(&extended, inverse: false)
        #expect((0..<4096).allSatisfy { extended[2 * $0] == natural[$0] })
        // Cell 127's last element, as compute_cells gives it.
        var last = [UInt8]()
        BlobKZG.appendBigEndian(extended[BlobKZG.reverseBits(128 * 64 - 1, bits: 13)], to: &last)
        #expect(last == bytes("60c7fcc454b7f91580d16091b5df7fdb6e31e4b848874e799137bd97da684856"))
    }

    @Test("Valid cell proofs verify, for one blob and for the same blob twice (deduplicated commitments)")
    func valid() throws {
        try BlobKZG.verifyCellProofs(blobs: [BlobKZGTests.blob], commitments: [BlobKZGTests.commitment], proofs: Self.proofs)
        try BlobKZG.verifyCellProofs(blobs: [BlobKZGTests.blob, BlobKZGTests.blob],
                                     commitments: [BlobKZGTests.commitment, BlobKZGTests.commitment],
                                     proofs: Self.proofs + Self.proofs)
    }

    @Test("Each way to break cell proofs is refused with its reason")
    func invalid() {
        func failure(_ blobs: [[UInt8]], _ commitments: [[UInt8]], _ proofs: [[UInt8]]) -> BlobKZG.Failure? {
            do { try BlobKZG.verifyCellProofs(blobs: blobs, commitments: commitments, proofs: proofs); return nil } catch { return error }
        }
        let blob = BlobKZGTests.blob, commitment = BlobKZGTests.commitment
        var swapped = Self.proofs
        swapped.swapAt(3, 4)
        #expect(failure([blob], [commitment], swapped) == .cellProofMismatch)
        var changed = blob
        changed[32 * 9 + 31] ^= 1
        #expect(failure([changed], [commitment], Self.proofs) == .cellProofMismatch)
        #expect(failure([blob], [BlobKZGTests.proof], Self.proofs) == .cellProofMismatch)
        var broken = Self.proofs
        broken[77] = [0x00] + broken[77].dropFirst()
        #expect(failure([blob], [commitment], broken) == .invalidCellProof(index: 77))
        #expect(failure([blob], [commitment], Array(Self.proofs.dropLast())) == .cellCount(blobs: 1, commitments: 1, proofs: 127))
        var nonCanonical = blob
        for i in 0..<32 { nonCanonical[32 * 3 + i] = 0xff }
        #expect(failure([nonCanonical], [commitment], Self.proofs) == .nonCanonicalFieldElement(index: 3))
    }
}
