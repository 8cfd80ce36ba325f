/// The version `lockstep version`, `--version` and `web3_clientVersion` report.
public enum LockstepVersion {
    public static let string = "0.1.0-dev"
}
