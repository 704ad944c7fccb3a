defmodule Mix.Tasks.Golden.MixEnvRuntime.Report do
  @moduledoc "Mix tasks run under Mix: Mix.env() is what they are for."
  use Mix.Task

  @impl true
  def run(_args), do: Mix.shell().info("env: #{Mix.env()}")
end

defmodule Golden.MixEnvRuntime.MixTask.Helper do
  use Mix.Task

  def run(_args), do: IO.puts(Mix.env())
end
