defmodule Golden.NarrowRescue.Pipes do
  def key(opts) do
    try do
      opts |> Keyword.fetch!(:key) |> Base.decode64!()
    rescue
      _e in [KeyError, ArgumentError] -> nil
    end
  end

  def timeout(env) do
    env
    |> Map.fetch!("TIMEOUT")
    |> String.to_integer()
    |> Kernel.*(1000)
  rescue
    _ in [KeyError, ArgumentError] -> 5000
  end
end
