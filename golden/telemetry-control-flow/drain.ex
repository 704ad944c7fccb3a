defmodule Golden.TelemetryControlFlow.Drain do
  # Collecting what the handler saw, without waiting (`after 0`): not a wait.
  def capture(fun) do
    me = self()
    id = {__MODULE__, System.unique_integer()}
    :telemetry.attach(id, [:repo, :query], fn _e, _m, md, _c -> send(me, {id, md}) end, nil)

    try do
      fun.()
    after
      :telemetry.detach(id)
    end

    collect(id, [])
  end

  defp collect(id, acc) do
    receive do
      {^id, md} -> collect(id, [md | acc])
    after
      0 -> Enum.reverse(acc)
    end
  end
end
