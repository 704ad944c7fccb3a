defmodule Golden.MixEnvSupervision.OptionsConcat do
  def start_link(children) do
    opts = [strategy: :one_for_one] ++ []
    Supervisor.start_link(children, opts)
  end
end
