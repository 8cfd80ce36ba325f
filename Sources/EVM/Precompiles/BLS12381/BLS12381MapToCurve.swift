// EIP-2537 MAP_FP_TO_G1 and MAP_FP2_TO_G2: the simplified SWU map of RFC 9380 §6.6.2 onto a curve isogenous to
// E (11-isogeny) or E' (3-isogeny), the isogeny to the curve, then cofactor clearing (§7, §8.8). Not constant
// time: the inputs of a precompile are public.

extension BLS12381 {
    /// The operations the SWU map needs beyond field arithmetic.
    protocol MapField: Field {
        /// A square root if one exists (which of the two is irrelevant: the sign is fixed afterwards).
        var squareRoot: Self? { get }
        /// RFC 9380 sgn0.
        var sign: Bool { get }
    }

    /// The parameters of one simplified-SWU map and its isogeny.
    protocol SWUParameters {
        associatedtype F: MapField
        /// A' and B' of the isogenous curve y² = x³ + A'x + B', and the non-square Z.
        static var a: F { get }
        static var b: F { get }
        static var z: F { get }
        /// The isogeny's rational maps x = xNum(x')/xDen(x'), y = y'·yNum(x')/yDen(x'), coefficients in
        /// increasing degree.
        static var xNumerator: [F] { get }
        static var xDenominator: [F] { get }
        static var yNumerator: [F] { get }
        static var yDenominator: [F] { get }
    }

    enum MapToCurve {
        /// RFC 9380 §6.6.2 simplified SWU onto y² = x³ + A'x + B', then the isogeny to the target curve; the
        /// isogeny's kernel maps to the point at infinity.
        static func map<P: SWUParameters>(_ u: P.F, _ parameters: P.Type) -> AffinePoint<P.F> {
            typealias F = P.F
            let a = P.a, b = P.b, z = P.z
            let zu2 = z * u.squared
            let denominator = zu2.squared + zu2
            let tv1 = denominator.inverse  // inv0: zero maps to zero
            var x1: F
            if tv1.isZero {
                x1 = b * (z * a).inverse  // B/(Z·A)
            } else {
                x1 = b.negated * a.inverse * (F.one + tv1)  // (-B/A)(1 + tv1)
            }
            var x = x1
            var y: F
            if let root = (x1.squared * x1 + a * x1 + b).squareRoot {
                y = root
            } else {
                x = zu2 * x1
                // g(Z u² x1) = Z³u⁶·g(x1) is a square when g(x1) is not (Z is a non-square).
                guard let root = (x.squared * x + a * x + b).squareRoot else { return .infinity }
                y = root
            }
            if u.sign != y.sign { y = y.negated }
            return isogeny(x: x, y: y, parameters)
        }

        /// Evaluates the isogeny at an affine point of the isogenous curve (Horner's rule, one inversion).
        static func isogeny<P: SWUParameters>(x: P.F, y: P.F, _ parameters: P.Type) -> AffinePoint<P.F> {
            @inline(__always)
            func evaluate(_ coefficients: [P.F]) -> P.F {
                var value = coefficients[coefficients.count - 1]
                for i in stride(from: coefficients.count - 2, through: 0, by: -1) { value = value * x + coefficients[i] }
                return value
            }
            let xDen = evaluate(P.xDenominator)
            let yDen = evaluate(P.yDenominator)
            let product = xDen * yDen
            guard !product.isZero else { return .infinity }
            let inverse = product.inverse
            return AffinePoint(x: evaluate(P.xNumerator) * yDen * inverse,
                               y: y * evaluate(P.yNumerator) * xDen * inverse)
        }

        /// MAP_FP_TO_G1: SWU, 11-isogeny, then [h_eff]P with h_eff = 1 - x = |x| + 1.
        static func mapToG1(_ u: Fp) -> G1Point {
            let point = mapFp(u).jacobian
            return point.timesXAbsolute + point
        }

        /// `map` specialised to Fp with a single exponentiation (as RFC 9380's sqrt_ratio for p ≡ 3 mod 4): c =
        /// g(x1)^((p+1)/4) is √g(x1) when g(x1) is a square; otherwise c² = -g(x1), and since
        /// g(x2) = Z³u⁶·g(x1), √g(x2) = u³·Z·√(-Z)·c.
        static func mapFp(_ u: Fp) -> G1Affine {
            let a = G1Isogeny.a, b = G1Isogeny.b, z = G1Isogeny.z
            let u2 = u.squared
            let zu2 = z * u2
            let tv1 = (zu2.squared + zu2).inverse
            let x1 = tv1.isZero ? b * (z * a).inverse : b.negated * a.inverse * (Fp.one + tv1)
            let gx1 = x1.squared * x1 + a * x1 + b
            let candidate = gx1.power(Fp.pPlus1Over4)
            var x = x1
            var y = candidate
            if candidate.squared != gx1 {
                x = zu2 * x1
                y = candidate * u2 * u * z * G1Isogeny.sqrtMinusZ
            }
            if u.sign != y.sign { y = y.negated }
            return isogeny(x: x, y: y, G1Isogeny.self)
        }

        /// MAP_FP2_TO_G2: SWU, 3-isogeny, then [h_eff]P by the endomorphism method of Budroni-Pintore
        /// (RFC 9380 §G.3): [x² - x - 1]P + [x - 1]ψ(P) + ψ²(2P).
        static func mapToG2(_ u: Fp2) -> G2Point {
            let p = map(u, G2Isogeny.self).jacobian
            @inline(__always)
            func timesX(_ q: G2Point) -> G2Point { q.timesXAbsolute.negated }  // x < 0
            let t1 = timesX(p)
            var t2 = psi(p)
            var t3 = psi(psi(p.doubled))
            t3 = t3 - t2
            t2 = timesX(t1 + t2)
            t3 = t3 + t2
            t3 = t3 - t1
            return t3 - p
        }
    }

    /// The 11-isogenous curve of E and its isogeny (RFC 9380 §8.8.1, §E.2).
    enum G1Isogeny: SWUParameters {
        static let a = Fp(hex: "0x00144698a3b8e9433d693a02c96d4982b0ea985383ee66a8d8e8981aefd881ac98936f8da0e0f97f5cf428082d584c1d")
        static let b = Fp(hex: "0x12e2908d11688030018b12e8753eee3b2016c1f0f24f4070a0b9c14fcef35ef55a23215a316ceaa5d1cc48e98e172be0")
        static let z = Fp(small: 11)
        /// √(-Z) = √(-11), a square because both -1 and Z are non-squares (p ≡ 3 mod 4).
        static let sqrtMinusZ: Fp = z.negated.squareRoot ?? .zero
        // RFC 9380 §E.2: the 11-isogeny E'1 → E, coefficients k_(i,0), k_(i,1), ... in increasing degree.
        static let xNumerator: [Fp] = [
            Fp(hex: "0x11a05f2b1e833340b809101dd99815856b303e88a2d7005ff2627b56cdb4e2c85610c2d5f2e62d6eaeac1662734649b7"),
            Fp(hex: "0x17294ed3e943ab2f0588bab22147a81c7c17e75b2f6a8417f565e33c70d1e86b4838f2a6f318c356e834eef1b3cb83bb"),
            Fp(hex: "0x0d54005db97678ec1d1048c5d10a9a1bce032473295983e56878e501ec68e25c958c3e3d2a09729fe0179f9dac9edcb0"),
            Fp(hex: "0x1778e7166fcc6db74e0609d307e55412d7f5e4656a8dbf25f1b33289f1b330835336e25ce3107193c5b388641d9b6861"),
            Fp(hex: "0x0e99726a3199f4436642b4b3e4118e5499db995a1257fb3f086eeb65982fac18985a286f301e77c451154ce9ac8895d9"),
            Fp(hex: "0x1630c3250d7313ff01d1201bf7a74ab5db3cb17dd952799b9ed3ab9097e68f90a0870d2dcae73d19cd13c1c66f652983"),
            Fp(hex: "0x0d6ed6553fe44d296a3726c38ae652bfb11586264f0f8ce19008e218f9c86b2a8da25128c1052ecaddd7f225a139ed84"),
            Fp(hex: "0x17b81e7701abdbe2e8743884d1117e53356de5ab275b4db1a682c62ef0f2753339b7c8f8c8f475af9ccb5618e3f0c88e"),
            Fp(hex: "0x080d3cf1f9a78fc47b90b33563be990dc43b756ce79f5574a2c596c928c5d1de4fa295f296b74e956d71986a8497e317"),
            Fp(hex: "0x169b1f8e1bcfa7c42e0c37515d138f22dd2ecb803a0c5c99676314baf4bb1b7fa3190b2edc0327797f241067be390c9e"),
            Fp(hex: "0x10321da079ce07e272d8ec09d2565b0dfa7dccdde6787f96d50af36003b14866f69b771f8c285decca67df3f1605fb7b"),
            Fp(hex: "0x06e08c248e260e70bd1e962381edee3d31d79d7e22c837bc23c0bf1bc24c6b68c24b1b80b64d391fa9c8ba2e8ba2d229"),
        ]
        static let xDenominator: [Fp] = [
            Fp(hex: "0x08ca8d548cff19ae18b2e62f4bd3fa6f01d5ef4ba35b48ba9c9588617fc8ac62b558d681be343df8993cf9fa40d21b1c"),
            Fp(hex: "0x12561a5deb559c4348b4711298e536367041e8ca0cf0800c0126c2588c48bf5713daa8846cb026e9e5c8276ec82b3bff"),
            Fp(hex: "0x0b2962fe57a3225e8137e629bff2991f6f89416f5a718cd1fca64e00b11aceacd6a3d0967c94fedcfcc239ba5cb83e19"),
            Fp(hex: "0x03425581a58ae2fec83aafef7c40eb545b08243f16b1655154cca8abc28d6fd04976d5243eecf5c4130de8938dc62cd8"),
            Fp(hex: "0x13a8e162022914a80a6f1d5f43e7a07dffdfc759a12062bb8d6b44e833b306da9bd29ba81f35781d539d395b3532a21e"),
            Fp(hex: "0x0e7355f8e4e667b955390f7f0506c6e9395735e9ce9cad4d0a43bcef24b8982f7400d24bc4228f11c02df9a29f6304a5"),
            Fp(hex: "0x0772caacf16936190f3e0c63e0596721570f5799af53a1894e2e073062aede9cea73b3538f0de06cec2574496ee84a3a"),
            Fp(hex: "0x14a7ac2a9d64a8b230b3f5b074cf01996e7f63c21bca68a81996e1cdf9822c580fa5b9489d11e2d311f7d99bbdcc5a5e"),
            Fp(hex: "0x0a10ecf6ada54f825e920b3dafc7a3cce07f8d1d7161366b74100da67f39883503826692abba43704776ec3a79a1d641"),
            Fp(hex: "0x095fc13ab9e92ad4476d6e3eb3a56680f682b4ee96f7d03776df533978f31c1593174e4b4b7865002d6384d168ecdd0a"),
            Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"),
        ]
        static let yNumerator: [Fp] = [
            Fp(hex: "0x090d97c81ba24ee0259d1f094980dcfa11ad138e48a869522b52af6c956543d3cd0c7aee9b3ba3c2be9845719707bb33"),
            Fp(hex: "0x134996a104ee5811d51036d776fb46831223e96c254f383d0f906343eb67ad34d6c56711962fa8bfe097e75a2e41c696"),
            Fp(hex: "0x00cc786baa966e66f4a384c86a3b49942552e2d658a31ce2c344be4b91400da7d26d521628b00523b8dfe240c72de1f6"),
            Fp(hex: "0x01f86376e8981c217898751ad8746757d42aa7b90eeb791c09e4a3ec03251cf9de405aba9ec61deca6355c77b0e5f4cb"),
            Fp(hex: "0x08cc03fdefe0ff135caf4fe2a21529c4195536fbe3ce50b879833fd221351adc2ee7f8dc099040a841b6daecf2e8fedb"),
            Fp(hex: "0x16603fca40634b6a2211e11db8f0a6a074a7d0d4afadb7bd76505c3d3ad5544e203f6326c95a807299b23ab13633a5f0"),
            Fp(hex: "0x04ab0b9bcfac1bbcb2c977d027796b3ce75bb8ca2be184cb5231413c4d634f3747a87ac2460f415ec961f8855fe9d6f2"),
            Fp(hex: "0x0987c8d5333ab86fde9926bd2ca6c674170a05bfe3bdd81ffd038da6c26c842642f64550fedfe935a15e4ca31870fb29"),
            Fp(hex: "0x09fc4018bd96684be88c9e221e4da1bb8f3abd16679dc26c1e8b6e6a1f20cabe69d65201c78607a360370e577bdba587"),
            Fp(hex: "0x0e1bba7a1186bdb5223abde7ada14a23c42a0ca7915af6fe06985e7ed1e4d43b9b3f7055dd4eba6f2bafaaebca731c30"),
            Fp(hex: "0x19713e47937cd1be0dfd0b8f1d43fb93cd2fcbcb6caf493fd1183e416389e61031bf3a5cce3fbafce813711ad011c132"),
            Fp(hex: "0x18b46a908f36f6deb918c143fed2edcc523559b8aaf0c2462e6bfe7f911f643249d9cdf41b44d606ce07c8a4d0074d8e"),
            Fp(hex: "0x0b182cac101b9399d155096004f53f447aa7b12a3426b08ec02710e807b4633f06c851c1919211f20d4c04f00b971ef8"),
            Fp(hex: "0x0245a394ad1eca9b72fc00ae7be315dc757b3b080d4c158013e6632d3c40659cc6cf90ad1c232a6442d9d3f5db980133"),
            Fp(hex: "0x05c129645e44cf1102a159f748c4a3fc5e673d81d7e86568d9ab0f5d396a7ce46ba1049b6579afb7866b1e715475224b"),
            Fp(hex: "0x15e6be4e990f03ce4ea50b3b42df2eb5cb181d8f84965a3957add4fa95af01b2b665027efec01c7704b456be69c8b604"),
        ]
        static let yDenominator: [Fp] = [
            Fp(hex: "0x16112c4c3a9c98b252181140fad0eae9601a6de578980be6eec3232b5be72e7a07f3688ef60c206d01479253b03663c1"),
            Fp(hex: "0x1962d75c2381201e1a0cbd6c43c348b885c84ff731c4d59ca4a10356f453e01f78a4260763529e3532f6102c2e49a03d"),
            Fp(hex: "0x058df3306640da276faaae7d6e8eb15778c4855551ae7f310c35a5dd279cd2eca6757cd636f96f891e2538b53dbf67f2"),
            Fp(hex: "0x16b7d288798e5395f20d23bf89edb4d1d115c5dbddbcd30e123da489e726af41727364f2c28297ada8d26d98445f5416"),
            Fp(hex: "0x0be0e079545f43e4b00cc912f8228ddcc6d19c9f0f69bbb0542eda0fc9dec916a20b15dc0fd2ededda39142311a5001d"),
            Fp(hex: "0x08d9e5297186db2d9fb266eaac783182b70152c65550d881c5ecd87b6f0f5a6449f38db9dfa9cce202c6477faaf9b7ac"),
            Fp(hex: "0x166007c08a99db2fc3ba8734ace9824b5eecfdfa8d0cf8ef5dd365bc400a0051d5fa9c01a58b1fb93d1a1399126a775c"),
            Fp(hex: "0x16a3ef08be3ea7ea03bcddfabba6ff6ee5a4375efa1f4fd7feb34fd206357132b920f5b00801dee460ee415a15812ed9"),
            Fp(hex: "0x1866c8ed336c61231a1be54fd1d74cc4f9fb0ce4c6af5920abc5750c4bf39b4852cfe2f7bb9248836b233d9d55535d4a"),
            Fp(hex: "0x167a55cda70a6e1cea820597d94a84903216f763e13d87bb5308592e7ea7d4fbc7385ea3d529b35e346ef48bb8913f55"),
            Fp(hex: "0x04d2f259eea405bd48f010a01ad2911d9c6dd039bb61a6290e591b36e636a5c871a5c29f4f83060400f8b49cba8f6aa8"),
            Fp(hex: "0x0accbb67481d033ff5852c1e48c50c477f94ff8aefce42d28c0f9a88cea7913516f968986f7ebbea9684b529e2561092"),
            Fp(hex: "0x0ad6b9514c767fe3c3613144b45f1496543346d98adf02267d5ceef9a00d9b8693000763e3b90ac11e99b138573345cc"),
            Fp(hex: "0x02660400eb2e4f3b628bdd0d53cd76f2bf565b94e72927c1cb748df27942480e420517bd8714cc80d1fadc1326ed06f7"),
            Fp(hex: "0x0e0fa1d816ddc03e6b24255e0d7819c171c40f65e273b853324efcd6356caa205ca2f570f13497804415473a1d634b8f"),
            Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"),
        ]
    }

    /// The 3-isogenous curve of E' and its isogeny (RFC 9380 §8.8.2, §E.3): A' = 240u, B' = 1012(1 + u),
    /// Z = -(2 + u).
    enum G2Isogeny: SWUParameters {
        static let a = Fp2(c0: .zero, c1: Fp(small: 240))
        static let b = Fp2(c0: Fp(small: 1012), c1: Fp(small: 1012))
        static let z = Fp2(c0: Fp(small: 2), c1: .one).negated
        // RFC 9380 §E.3: the 3-isogeny E'2 → E', coefficients in increasing degree.
        static let xNumerator: [Fp2] = [
            Fp2(c0: Fp(hex: "0x05c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97d6"),
                c1: Fp(hex: "0x05c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97d6")),
            Fp2(c0: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
                c1: Fp(hex: "0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71a")),
            Fp2(c0: Fp(hex: "0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71e"),
                c1: Fp(hex: "0x08ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38d")),
            Fp2(c0: Fp(hex: "0x171d6541fa38ccfaed6dea691f5fb614cb14b4e7f4e810aa22d6108f142b85757098e38d0f671c7188e2aaaaaaaa5ed1"),
                c1: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
        ]
        static let xDenominator: [Fp2] = [
            Fp2(c0: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
                c1: Fp(hex: "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa63")),
            Fp2(c0: Fp(hex: "0x00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000c"),
                c1: Fp(hex: "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa9f")),
            Fp2(c0: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"),
                c1: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
            Fp2(c0: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
                c1: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
        ]
        static let yNumerator: [Fp2] = [
            Fp2(c0: Fp(hex: "0x1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f6812cfc71c71c6d706"),
                c1: Fp(hex: "0x1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f6812cfc71c71c6d706")),
            Fp2(c0: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
                c1: Fp(hex: "0x05c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97be")),
            Fp2(c0: Fp(hex: "0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71c"),
                c1: Fp(hex: "0x08ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38f")),
            Fp2(c0: Fp(hex: "0x124c9ad43b6cf79bfbf7043de3811ad0761b0f37a1e26286b0e977c69aa274524e79097a56dc4bd9e1b371c71c718b10"),
                c1: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
        ]
        static let yDenominator: [Fp2] = [
            Fp2(c0: Fp(hex: "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa8fb"),
                c1: Fp(hex: "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa8fb")),
            Fp2(c0: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
                c1: Fp(hex: "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa9d3")),
            Fp2(c0: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000012"),
                c1: Fp(hex: "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa99")),
            Fp2(c0: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"),
                c1: Fp(hex: "0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
        ]
    }
}

extension BLS12381.Fp: BLS12381.MapField {}
extension BLS12381.Fp2: BLS12381.MapField {}
