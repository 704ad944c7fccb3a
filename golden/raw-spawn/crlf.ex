defmodule Golden.RawSpawn.Crlf do
  def notify(user) do
    spawn(fn ->
      IO.inspect(user)
    end)

    :ok
  end
end
