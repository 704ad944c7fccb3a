defmodule Golden.MixEnvSupervision.CaseGuard do
  def start_link(children) do
    Supervisor.start_link(children,
      strategy: :one_for_one,
      max_restarts:
        case Mix.env() do
          env when env in [:dev, :test] -> 100
          _ -> 3
        end
    )
  end
end
